// The piano roll: the notes of a take drawn as bars (time across, pitch up), each
// syllable written under its note, a playhead, and the gestures that edit them. It draws
// a document (see melody-edit.js) and reports what the person did as events; the page
// decides what each gesture changes.
//
// Events (CustomEvent, `detail`):
//   "select" {id}                       a note was clicked (id null: none)
//   "drag"   {id, mode, pitchDelta, timeDeltaS, done}
//            mode "move" (body: pitch and time), "start" or "end" (an edge)
//   "add"    {onsetS, midiPitch}        a double click on an empty place
//   "seek"   {seconds}                  a click on the time ruler

import { isBlackKey, noteName } from "./melody-edit.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const ROW_PX = 16;
const RULER_PX = 36;
/** Room under the lowest row for the syllables of its notes. */
const BOTTOM_PX = 18;
/** The grab zone at each end of a note, in pixels. */
const EDGE_PX = 7;
const KEYS_PX = 44;
/** At least this many semitones are shown, and this many above and below the notes. */
const MIN_RANGE_SEMITONES = 18;
const RANGE_PADDING_SEMITONES = 3;
/** A pointer that moves less than this is a click. */
const DRAG_THRESHOLD_PX = 3;
export const ZOOM_LEVELS_PX_PER_S = [40, 60, 90, 130, 180, 250, 350];
/** The zoom a new take opens at when it is too long to show whole (90 px/s). */
const READABLE_ZOOM_INDEX = 2;

function svgElement(name, attributes = {}, text = null) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, String(value));
  }
  if (text !== null) {
    element.textContent = text;
  }
  return element;
}

function formatSeconds(seconds) {
  return `${seconds.toFixed(2)} s`;
}

/** "Note 3 of 12: E4, 1.20 s to 1.65 s, “lo”" */
export function describeNote(doc, note) {
  const index = doc.notes.indexOf(note);
  const words = note.melisma ? "carries on the syllable before" : note.syllable ? `“${note.syllable}”` : "no syllable";
  return (
    `Note ${index + 1} of ${doc.notes.length}, line ${note.phrase + 1}: ${noteName(note.midi_pitch)}, ` +
    `${formatSeconds(note.onset_s)} to ${formatSeconds(note.onset_s + note.duration_s)}, ${words}`
  );
}

export class PianoRoll extends EventTarget {
  /**
   * @param {HTMLElement} scroller the element that scrolls the roll sideways
   * @param {SVGSVGElement} roll the roll's SVG (inside the scroller)
   * @param {SVGSVGElement} keys the SVG beside it with the pitch names
   * @param {string} helpId the id of the element that explains the keyboard
   */
  constructor(scroller, roll, keys, helpId) {
    super();
    this.scroller = scroller;
    this.svg = roll;
    this.keys = keys;
    this.helpId = helpId;
    this.doc = null;
    this.selectedId = null;
    this.editable = false;
    this.zoomIndex = 3;
    this.range = null;
    this.durationS = 0;
    this.pointer = null;
    this.playhead = svgElement("line", { class: "playhead", x1: 0, x2: 0, y1: 0, y2: 0 });
    this.svg.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    this.svg.addEventListener("pointermove", (event) => this.onPointerMove(event));
    this.svg.addEventListener("pointerup", (event) => this.onPointerUp(event));
    this.svg.addEventListener("pointercancel", () => this.cancelDrag());
    this.svg.addEventListener("dblclick", (event) => this.onDoubleClick(event));
  }

  get pxPerS() {
    return ZOOM_LEVELS_PX_PER_S[this.zoomIndex];
  }

  /** Zooms in (+1) or out (-1); false at the end of the range. */
  zoom(step) {
    const index = Math.min(Math.max(this.zoomIndex + step, 0), ZOOM_LEVELS_PX_PER_S.length - 1);
    if (index === this.zoomIndex) {
      return false;
    }
    const centreS = (this.scroller.scrollLeft + this.scroller.clientWidth / 2) / this.pxPerS;
    this.zoomIndex = index;
    this.render();
    this.scroller.scrollLeft = centreS * this.pxPerS - this.scroller.clientWidth / 2;
    return true;
  }

  /**
   * Draws a document. `durationS` is the length of the audio it goes with; `editable`
   * false while a take is being made (the notes are shown, not yet edited).
   */
  show(doc, { durationS = 0, editable = true, selectedId = this.selectedId, newRange = false } = {}) {
    const focused = this.svg.contains(document.activeElement);
    this.doc = doc;
    this.editable = editable;
    this.durationS = durationS;
    this.selectedId = doc.notes.some((note) => note.id === selectedId) ? selectedId : null;
    this.fitRange(newRange);
    if (newRange) {
      this.fitZoom();
    }
    this.render();
    if (focused && this.selectedId !== null) {
      this.focusNote(this.selectedId);
    }
  }

  /** For a new take: the closest zoom that shows it whole, but never so far out that
   * the syllables under short notes run into each other. */
  fitZoom() {
    const lastEnd = this.doc.notes.reduce((end, n) => Math.max(end, n.onset_s + n.duration_s), 0);
    const spanS = Math.max(lastEnd, this.durationS) + 0.5;
    const width = this.scroller.clientWidth || 600;
    let index = READABLE_ZOOM_INDEX;
    while (index + 1 < ZOOM_LEVELS_PX_PER_S.length && spanS * ZOOM_LEVELS_PX_PER_S[index + 1] <= width) {
      index += 1;
    }
    this.zoomIndex = index;
    this.scroller.scrollLeft = 0;
  }

  /** The pitch range grows to hold every note; it shrinks only for a new take. */
  fitRange(reset) {
    const pitches = this.doc.notes.map((note) => note.midi_pitch);
    let low = pitches.length ? Math.min(...pitches) - RANGE_PADDING_SEMITONES : 57;
    let high = pitches.length ? Math.max(...pitches) + RANGE_PADDING_SEMITONES : 72;
    if (high - low + 1 < MIN_RANGE_SEMITONES) {
      const extra = MIN_RANGE_SEMITONES - (high - low + 1);
      low -= Math.floor(extra / 2);
      high += Math.ceil(extra / 2);
    }
    if (this.range && !reset) {
      low = Math.min(low, this.range.low);
      high = Math.max(high, this.range.high);
    }
    this.range = { low: Math.max(0, low), high: Math.min(127, high) };
  }

  yOf(midiPitch) {
    return RULER_PX + (this.range.high - midiPitch) * ROW_PX;
  }

  xOf(seconds) {
    return seconds * this.pxPerS;
  }

  get heightPx() {
    return RULER_PX + (this.range.high - this.range.low + 1) * ROW_PX + BOTTOM_PX;
  }

  render() {
    if (!this.doc) {
      return;
    }
    const doc = this.doc;
    const lastEnd = doc.notes.reduce((end, n) => Math.max(end, n.onset_s + n.duration_s), 0);
    const spanS = Math.max(lastEnd, this.durationS) + 1;
    const width = Math.max(this.scroller.clientWidth, Math.ceil(this.xOf(spanS)));
    const height = this.heightPx;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.setAttribute("aria-describedby", this.helpId);
    this.svg.replaceChildren(
      this.drawRows(width),
      this.drawRuler(width, spanS),
      this.drawPhrases(),
      this.drawNotes(),
      this.playhead,
    );
    this.playhead.setAttribute("y1", RULER_PX - 6);
    this.playhead.setAttribute("y2", height);
    this.drawKeys(height);
  }

  drawRows(width) {
    const rows = svgElement("g", { class: "rows", "aria-hidden": "true" });
    for (let pitch = this.range.high; pitch >= this.range.low; pitch -= 1) {
      const y = this.yOf(pitch);
      rows.append(
        svgElement("rect", {
          class: isBlackKey(pitch) ? "row black" : "row",
          x: 0,
          y,
          width,
          height: ROW_PX,
        }),
      );
      if (pitch % 12 === 0) {
        rows.append(svgElement("line", { class: "octave", x1: 0, x2: width, y1: y + ROW_PX, y2: y + ROW_PX }));
      }
    }
    return rows;
  }

  drawRuler(width, spanS) {
    const ruler = svgElement("g", { class: "ruler", "aria-hidden": "true" });
    ruler.append(svgElement("rect", { class: "ruler-band", x: 0, y: 0, width, height: RULER_PX }));
    const stepS = this.pxPerS >= 90 ? 0.5 : 1;
    const bottom = this.heightPx;
    for (let t = 0; t <= spanS; t += stepS) {
      const x = this.xOf(t);
      const whole = Math.abs(t - Math.round(t)) < 1e-6;
      ruler.append(svgElement("line", { class: whole ? "tick" : "tick minor", x1: x, x2: x, y1: RULER_PX - (whole ? 10 : 5), y2: bottom }));
      if (whole) {
        ruler.append(svgElement("text", { class: "tick-label", x: x + 3, y: 11 }, `${Math.round(t)} s`));
      }
    }
    return ruler;
  }

  drawPhrases() {
    const group = svgElement("g", { class: "phrases", "aria-hidden": "true" });
    const spans = new Map();
    for (const note of this.doc.notes) {
      const span = spans.get(note.phrase) ?? { start: note.onset_s, end: 0 };
      span.end = Math.max(span.end, note.onset_s + note.duration_s);
      spans.set(note.phrase, span);
    }
    for (const [phrase, span] of spans) {
      const line = this.doc.lines[phrase];
      const edited = line && line.text.trim() !== line.original.trim();
      const x = this.xOf(span.start);
      group.append(
        svgElement("rect", { class: edited ? "phrase edited" : "phrase", x, y: RULER_PX - 8, width: Math.max(2, this.xOf(span.end) - x), height: 4 }),
        svgElement("text", { class: "phrase-label", x: x + 2, y: RULER_PX - 11 }, edited ? `Line ${phrase + 1}: “${line.text.trim()}”` : `Line ${phrase + 1}`),
      );
    }
    return group;
  }

  drawNotes() {
    const group = svgElement("g", { class: "notes" });
    const editedPhrases = new Set(
      this.doc.lines.flatMap((line, i) => (line.text.trim() !== line.original.trim() ? [i] : [])),
    );
    for (const note of this.doc.notes) {
      const x = this.xOf(note.onset_s);
      const y = this.yOf(note.midi_pitch);
      const width = Math.max(3, this.xOf(note.duration_s));
      const selected = note.id === this.selectedId;
      const element = svgElement("g", {
        class: `note${selected ? " selected" : ""}${this.editable ? " editable" : ""}`,
        "data-id": note.id,
        role: "button",
        tabindex: this.editable ? 0 : -1,
        "aria-label": describeNote(this.doc, note),
        "aria-pressed": selected ? "true" : "false",
      });
      element.append(
        svgElement("rect", { class: "body", x, y: y + 1, width, height: ROW_PX - 2, rx: 3 }),
        svgElement("rect", { class: "edge start", x, y: y + 1, width: Math.min(EDGE_PX, width / 3), height: ROW_PX - 2 }),
        svgElement("rect", { class: "edge end", x: x + width - Math.min(EDGE_PX, width / 3), y: y + 1, width: Math.min(EDGE_PX, width / 3), height: ROW_PX - 2 }),
      );
      const words = note.melisma ? "–" : note.syllable;
      if (words) {
        const stale = editedPhrases.has(note.phrase);
        element.append(
          svgElement("text", { class: stale ? "syllable stale" : "syllable", x: x + 1, y: y + ROW_PX + 11, "aria-hidden": "true" }, words),
        );
      }
      group.append(element);
    }
    return group;
  }

  drawKeys(height) {
    this.keys.setAttribute("width", KEYS_PX);
    this.keys.setAttribute("height", height);
    this.keys.setAttribute("viewBox", `0 0 ${KEYS_PX} ${height}`);
    const children = [];
    for (let pitch = this.range.high; pitch >= this.range.low; pitch -= 1) {
      const y = this.yOf(pitch);
      children.push(svgElement("rect", { class: isBlackKey(pitch) ? "key black" : "key", x: 0, y, width: KEYS_PX, height: ROW_PX }));
      if (!isBlackKey(pitch)) {
        children.push(svgElement("text", { class: pitch % 12 === 0 ? "key-label c" : "key-label", x: 4, y: y + ROW_PX - 4 }, noteName(pitch)));
      }
    }
    this.keys.replaceChildren(...children);
  }

  /** Moves the playhead; `follow` scrolls the roll to keep it in view. */
  setPlayhead(seconds, follow) {
    const x = this.xOf(seconds);
    this.playhead.setAttribute("x1", x);
    this.playhead.setAttribute("x2", x);
    if (follow) {
      const left = this.scroller.scrollLeft;
      const right = left + this.scroller.clientWidth;
      if (x < left || x > right - 40) {
        this.scroller.scrollLeft = Math.max(0, x - 60);
      }
    }
  }

  elementOf(id) {
    return this.svg.querySelector(`.note[data-id="${id}"]`);
  }

  focusNote(id) {
    const element = this.elementOf(id);
    if (element) {
      element.focus({ preventScroll: true });
      this.scrollIntoView(id);
    }
  }

  scrollIntoView(id) {
    const note = this.doc?.notes.find((candidate) => candidate.id === id);
    if (!note) {
      return;
    }
    const x = this.xOf(note.onset_s);
    const left = this.scroller.scrollLeft;
    if (x < left + 20 || x > left + this.scroller.clientWidth - 60) {
      this.scroller.scrollLeft = Math.max(0, x - this.scroller.clientWidth / 3);
    }
  }

  /** The note id of an element of the roll (null when it is not part of a note). */
  static noteIdOf(target) {
    const element = target?.closest?.(".note");
    return element ? Number(element.getAttribute("data-id")) : null;
  }

  pointInRoll(event) {
    const box = this.svg.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  onPointerDown(event) {
    if (event.button !== 0 || !this.doc) {
      return;
    }
    const id = PianoRoll.noteIdOf(event.target);
    const mode = event.target.classList?.contains("edge")
      ? event.target.classList.contains("start") ? "start" : "end"
      : "move";
    this.pointer = {
      id,
      mode,
      startX: event.clientX,
      startY: event.clientY,
      dragging: false,
      pointerId: event.pointerId,
    };
    if (id !== null && this.editable) {
      this.svg.setPointerCapture(event.pointerId);
      event.preventDefault();
    }
  }

  onPointerMove(event) {
    const pointer = this.pointer;
    if (!pointer || pointer.id === null || !this.editable || event.pointerId !== pointer.pointerId) {
      return;
    }
    const dx = event.clientX - pointer.startX;
    const dy = event.clientY - pointer.startY;
    if (!pointer.dragging && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) {
      return;
    }
    if (!pointer.dragging) {
      pointer.dragging = true;
      this.emit("select", { id: pointer.id });
    }
    this.emit("drag", this.dragDetail(pointer, dx, dy, false));
  }

  dragDetail(pointer, dx, dy, done) {
    return {
      id: pointer.id,
      mode: pointer.mode,
      pitchDelta: pointer.mode === "move" ? -Math.round(dy / ROW_PX) : 0,
      timeDeltaS: dx / this.pxPerS,
      done,
    };
  }

  onPointerUp(event) {
    const pointer = this.pointer;
    this.pointer = null;
    if (!pointer || event.pointerId !== pointer.pointerId) {
      return;
    }
    if (this.svg.hasPointerCapture(event.pointerId)) {
      this.svg.releasePointerCapture(event.pointerId);
    }
    if (pointer.dragging) {
      const dx = event.clientX - pointer.startX;
      const dy = event.clientY - pointer.startY;
      this.emit("drag", this.dragDetail(pointer, dx, dy, true));
      return;
    }
    const { x, y } = this.pointInRoll(event);
    if (y < RULER_PX && pointer.id === null) {
      this.emit("seek", { seconds: x / this.pxPerS });
    } else {
      this.emit("select", { id: pointer.id });
    }
  }

  cancelDrag() {
    if (this.pointer?.dragging) {
      this.emit("drag", { ...this.dragDetail(this.pointer, 0, 0, true) });
    }
    this.pointer = null;
  }

  onDoubleClick(event) {
    if (!this.editable || PianoRoll.noteIdOf(event.target) !== null) {
      return;
    }
    const { x, y } = this.pointInRoll(event);
    if (y < RULER_PX) {
      return;
    }
    const midiPitch = this.range.high - Math.floor((y - RULER_PX) / ROW_PX);
    this.emit("add", { onsetS: x / this.pxPerS, midiPitch });
  }
}
