// The editor's document and every edit a person can make to it, as pure functions: a
// document in, a new document out (the old one is kept for undo), EditError with a
// message for a person when an edit cannot be made. Nothing here touches the page.
//
// A document holds the notes (in time order, never overlapping, each with a stable id and
// the index of the phrase it belongs to) and one line of words per phrase. It turns back
// into the JSON of an `expertmusic.music.v1.Melody` for `POST /v1/takes/{id}:revise`.

/** The shortest note the editor makes, in seconds. */
export const MIN_NOTE_S = 0.05;
/** Times are kept to the nearest 10 ms. */
export const TIME_STEP_S = 0.01;
/** A note added where there is room is this long at most, in seconds. */
export const NEW_NOTE_S = 0.5;
/** Without phrases in a melody, a rest this long starts a new one (as the service does). */
export const PHRASE_REST_S = 0.25;
export const LOWEST_MIDI = 0;
export const HIGHEST_MIDI = 127;

const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

export class EditError extends Error {}

/** "C4" for MIDI 60 (scientific pitch notation, as MIDI numbers count: 69 = A4). */
export function noteName(midiPitch) {
  return `${NOTE_NAMES[midiPitch % 12]}${Math.floor(midiPitch / 12) - 1}`;
}

/** Whether a MIDI pitch is a black key (for the roll's background). */
export function isBlackKey(midiPitch) {
  return NOTE_NAMES[midiPitch % 12].includes("#");
}

/** Seconds on the editor's 10 ms grid (as the nearest double to a decimal). */
function roundTime(seconds) {
  return Math.round(seconds / TIME_STEP_S) / (1 / TIME_STEP_S);
}

/** A length between two times, without the floating-point dust of the subtraction. */
function span(start, end) {
  return Math.round((end - start) * 1000) / 1000;
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

function endOf(note) {
  return note.onset_s + note.duration_s;
}

/**
 * The editor's document for a take (the JSON of GET /v1/takes/{id}): its notes with the
 * syllable sung on each ("" for none, `melisma` for a note that carries on the syllable
 * before it) and its lines of words.
 */
export function documentFromTake(take) {
  const melody = take.melody ?? {};
  const sourceNotes = melody.notes ?? [];
  const phraseOf = phraseIndices(sourceNotes, melody.phrases ?? []);
  const notes = sourceNotes.map((note, index) => ({
    id: index + 1,
    onset_s: note.onset_s,
    duration_s: note.duration_s,
    midi_pitch: note.midi_pitch,
    cents_offset: note.cents_offset ?? 0,
    frequency_hz: note.frequency_hz ?? 0,
    confidence: note.confidence ?? 1,
    phrase: phraseOf[index],
    syllable: "",
    melisma: false,
  }));
  const lyricLines = take.lyrics?.lines ?? [];
  for (const line of lyricLines) {
    for (const syllable of line.syllables ?? []) {
      const count = Math.max(1, syllable.note_count ?? 1);
      for (let offset = 0; offset < count; offset += 1) {
        const note = notes[syllable.note_index + offset];
        if (note) {
          note.syllable = offset === 0 ? syllable.text : "";
          note.melisma = offset > 0;
        }
      }
    }
  }
  const phraseCount = notes.length ? notes[notes.length - 1].phrase + 1 : 0;
  const lines = Array.from({ length: phraseCount }, (_, phrase) => {
    const line = lyricLines.find((candidate) => (candidate.phrase_index ?? 0) === phrase);
    const text = line ? line.text : "";
    return { text, original: text };
  });
  return { notes, lines, nextId: notes.length + 1, base: baseOf(melody) };
}

/** What the document keeps of the melody besides its notes (sent back unchanged). */
function baseOf(melody) {
  return {
    tempo_bpm: melody.tempo_bpm ?? 0,
    key: melody.key,
    duration_s: melody.duration_s ?? 0,
  };
}

/** The phrase index of each note: from the melody's phrases, or split at long rests. */
function phraseIndices(notes, phrases) {
  const indices = new Array(notes.length).fill(-1);
  phrases.forEach((phrase, phraseIndex) => {
    const first = phrase.first_note_index ?? 0;
    for (let i = first; i < first + (phrase.note_count ?? 0) && i < notes.length; i += 1) {
      indices[i] = phraseIndex;
    }
  });
  if (indices.every((index) => index >= 0)) {
    return indices;
  }
  let phrase = 0;
  return notes.map((note, i) => {
    if (i > 0 && note.onset_s - endOf(notes[i - 1]) >= PHRASE_REST_S) {
      phrase += 1;
    }
    return phrase;
  });
}

/** A document with these notes (sorted), phrases renumbered 0.. and empty lines dropped. */
function withNotes(doc, notes, nextId = doc.nextId) {
  const sorted = [...notes].sort((a, b) => a.onset_s - b.onset_s);
  const renumber = new Map();
  for (const note of sorted) {
    if (!renumber.has(note.phrase)) {
      renumber.set(note.phrase, renumber.size);
    }
  }
  const lines = [];
  for (const [oldPhrase] of renumber) {
    lines.push(doc.lines[oldPhrase] ?? { text: "", original: "" });
  }
  return {
    ...doc,
    nextId,
    lines,
    notes: sorted.map((note) => ({ ...note, phrase: renumber.get(note.phrase) })),
  };
}

function indexOf(doc, id) {
  const index = doc.notes.findIndex((note) => note.id === id);
  if (index < 0) {
    throw new EditError("that note is no longer in the melody");
  }
  return index;
}

/** Where a note may lie without touching its neighbours: [earliest onset, latest end]. */
function room(doc, index) {
  const previous = doc.notes[index - 1];
  const next = doc.notes[index + 1];
  return [previous ? endOf(previous) : 0, next ? next.onset_s : Infinity];
}

function replaceNote(doc, index, note) {
  const notes = [...doc.notes];
  notes[index] = note;
  return { ...doc, notes };
}

function repitched(note, midiPitch) {
  if (midiPitch === note.midi_pitch) {
    return note;
  }
  // The sung frequency no longer describes the note: a person chose this pitch.
  return { ...note, midi_pitch: midiPitch, cents_offset: 0, frequency_hz: 0 };
}

/**
 * Moves a note up or down (semitones) and earlier or later (seconds). It stops at its
 * neighbours and at the start of the recording; the pitch stays within MIDI 0..127.
 */
export function moveNote(doc, id, { pitchDelta = 0, timeDeltaS = 0 } = {}) {
  const index = indexOf(doc, id);
  const note = doc.notes[index];
  const [earliest, latestEnd] = room(doc, index);
  const onset = clamp(roundTime(note.onset_s + timeDeltaS), earliest, latestEnd - note.duration_s);
  const pitch = clamp(note.midi_pitch + pitchDelta, LOWEST_MIDI, HIGHEST_MIDI);
  if (onset === note.onset_s && pitch === note.midi_pitch) {
    return doc;
  }
  return replaceNote(doc, index, { ...repitched(note, pitch), onset_s: onset });
}

/**
 * Moves a note's start and/or end edge by the given seconds (positive = later), keeping
 * it at least MIN_NOTE_S long and clear of its neighbours.
 */
export function resizeNote(doc, id, { startDeltaS = 0, endDeltaS = 0 } = {}) {
  const index = indexOf(doc, id);
  const note = doc.notes[index];
  const [earliest, latestEnd] = room(doc, index);
  const end = endOf(note);
  const onset = clamp(roundTime(note.onset_s + startDeltaS), earliest, end - MIN_NOTE_S);
  const newEnd = clamp(roundTime(end + endDeltaS), onset + MIN_NOTE_S, latestEnd);
  if (onset === note.onset_s && Math.abs(newEnd - end) < 1e-9) {
    return doc;
  }
  return replaceNote(doc, index, { ...note, onset_s: onset, duration_s: span(onset, newEnd) });
}

/**
 * Splits a note in two at `atS` (its middle when not given); the second half carries on
 * the first half's syllable. Returns {doc, id} with the id of the second half.
 */
export function splitNote(doc, id, atS) {
  const index = indexOf(doc, id);
  const note = doc.notes[index];
  if (note.duration_s < 2 * MIN_NOTE_S) {
    throw new EditError("this note is too short to split");
  }
  const middle = atS ?? note.onset_s + note.duration_s / 2;
  const at = clamp(roundTime(middle), note.onset_s + MIN_NOTE_S, endOf(note) - MIN_NOTE_S);
  const first = { ...note, duration_s: span(note.onset_s, at) };
  const second = {
    ...note,
    id: doc.nextId,
    onset_s: at,
    duration_s: span(at, endOf(note)),
    syllable: "",
    melisma: true,
  };
  const notes = [...doc.notes];
  notes.splice(index, 1, first, second);
  return { doc: withNotes(doc, notes, doc.nextId + 1), id: second.id };
}

/** Joins a note with the next one of its line: one note at the first one's pitch. */
export function mergeWithNext(doc, id) {
  const index = indexOf(doc, id);
  const note = doc.notes[index];
  const next = doc.notes[index + 1];
  if (!next) {
    throw new EditError("this is the last note: there is nothing after it to merge with");
  }
  if (next.phrase !== note.phrase) {
    throw new EditError("the next note starts a new line: only notes of one line merge");
  }
  const notes = [...doc.notes];
  notes.splice(index, 2, { ...note, duration_s: span(note.onset_s, endOf(next)) });
  return withNotes(doc, notes);
}

/** Removes a note (a line whose last note it was goes with it). */
export function deleteNote(doc, id) {
  const index = indexOf(doc, id);
  if (doc.notes.length === 1) {
    throw new EditError("a melody needs at least one note");
  }
  const notes = [...doc.notes];
  const [removed] = notes.splice(index, 1);
  const next = notes[index];
  if (next && next.melisma && !removed.melisma && next.phrase === removed.phrase) {
    // The syllable moves on to the note that carried it on.
    notes[index] = { ...next, syllable: removed.syllable, melisma: false };
  }
  return withNotes(doc, notes);
}

/**
 * Adds a note starting at `onsetS` with `midiPitch`, as long as the room before the next
 * note allows (NEW_NOTE_S at most). It joins the line of the note before it (the first
 * line when there is none). Returns {doc, id}.
 */
export function addNote(doc, onsetS, midiPitch) {
  const onset = Math.max(0, roundTime(onsetS));
  const before = doc.notes.filter((note) => note.onset_s <= onset);
  const previous = before[before.length - 1];
  if (previous && endOf(previous) > onset + 1e-9) {
    throw new EditError(`a note is already sounding at ${onset.toFixed(2)} s`);
  }
  const next = doc.notes.find((note) => note.onset_s > onset);
  const end = Math.min(onset + NEW_NOTE_S, next ? next.onset_s : Infinity);
  if (end - onset < MIN_NOTE_S - 1e-9) {
    throw new EditError("there is no room for a note here: move or shorten the next one first");
  }
  const note = {
    id: doc.nextId,
    onset_s: onset,
    duration_s: span(onset, end),
    midi_pitch: clamp(Math.round(midiPitch), LOWEST_MIDI, HIGHEST_MIDI),
    cents_offset: 0,
    frequency_hz: 0,
    confidence: 1,
    phrase: previous ? previous.phrase : (next?.phrase ?? 0),
    syllable: "",
    melisma: false,
  };
  return { doc: withNotes(doc, [...doc.notes, note], doc.nextId + 1), id: note.id };
}

/**
 * Adds a note right after the given one, at its pitch, where there is room. On a legato
 * line (the next note starts as this one ends) the note gives up its second half to the
 * new one instead, as a hummed note that should have been two. Returns {doc, id}.
 */
export function addNoteAfter(doc, id) {
  const index = indexOf(doc, id);
  const note = doc.notes[index];
  const end = endOf(note);
  const [, nextOnset] = room(doc, index);
  if (nextOnset - end >= MIN_NOTE_S - 1e-9) {
    return addNote(doc, end, note.midi_pitch);
  }
  if (note.duration_s < 2 * MIN_NOTE_S) {
    throw new EditError("there is no room after this note, and it is too short to share");
  }
  const half = clamp(roundTime(note.onset_s + note.duration_s / 2), note.onset_s + MIN_NOTE_S, end - MIN_NOTE_S);
  const shortened = replaceNote(doc, index, { ...note, duration_s: span(note.onset_s, half) });
  return addNote(shortened, half, note.midi_pitch);
}

/** Replaces the words of one line (sung as written when the take is sung again). */
export function setLineText(doc, lineIndex, text) {
  if (lineIndex < 0 || lineIndex >= doc.lines.length) {
    throw new EditError(`there is no line ${lineIndex + 1}`);
  }
  if (doc.lines[lineIndex].text === text) {
    return doc;
  }
  const lines = [...doc.lines];
  lines[lineIndex] = { ...lines[lineIndex], text };
  return { ...doc, lines };
}

/** The document's notes and phrases as the JSON of an `expertmusic.music.v1.Melody`. */
export function melodyOf(doc) {
  const notes = doc.notes.map((note) => ({
    onset_s: round3(note.onset_s),
    duration_s: round3(note.duration_s),
    midi_pitch: note.midi_pitch,
    cents_offset: note.cents_offset,
    frequency_hz: note.frequency_hz,
    confidence: note.confidence,
  }));
  const phrases = [];
  doc.notes.forEach((note, index) => {
    const current = phrases[phrases.length - 1];
    if (current && current.phrase === note.phrase) {
      current.note_count += 1;
      current.duration_s = round3(endOf(note) - current.onset_s);
    } else {
      phrases.push({
        phrase: note.phrase,
        first_note_index: index,
        note_count: 1,
        onset_s: round3(note.onset_s),
        duration_s: round3(note.duration_s),
      });
    }
  });
  const lastEnd = doc.notes.length ? endOf(doc.notes[doc.notes.length - 1]) : 0;
  const melody = {
    notes,
    phrases: phrases.map(({ phrase, ...rest }) => rest),
    tempo_bpm: doc.base.tempo_bpm,
    duration_s: round3(Math.max(doc.base.duration_s, lastEnd)),
    engine: "edited",
  };
  if (doc.base.key) {
    melody.key = doc.base.key;
  }
  return melody;
}

function round3(seconds) {
  return Math.round(seconds * 1000) / 1000;
}

/** Whether the notes differ from the other document's (times, pitches, lines). */
export function notesChanged(doc, other) {
  if (doc.notes.length !== other.notes.length) {
    return true;
  }
  return doc.notes.some((note, i) => {
    const before = other.notes[i];
    return (
      note.midi_pitch !== before.midi_pitch ||
      note.phrase !== before.phrase ||
      Math.abs(note.onset_s - before.onset_s) > 1e-6 ||
      Math.abs(note.duration_s - before.duration_s) > 1e-6
    );
  });
}

/** The lines whose words were changed, as the `line_texts` of a revision: {"1": "..."}. */
export function editedLines(doc) {
  const edited = {};
  doc.lines.forEach((line, index) => {
    if (line.text.trim() !== line.original.trim() && line.text.trim()) {
      edited[String(index)] = line.text.trim();
    }
  });
  return edited;
}

/** Undo and redo over documents (each edit makes a new document). */
export class History {
  constructor(doc, limit = 200) {
    this.past = [];
    this.present = doc;
    this.future = [];
    this.limit = limit;
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  /** Makes `doc` the present; false (and nothing kept) when it is the present already. */
  commit(doc) {
    if (doc === this.present) {
      return false;
    }
    this.past.push(this.present);
    if (this.past.length > this.limit) {
      this.past.shift();
    }
    this.present = doc;
    this.future = [];
    return true;
  }

  undo() {
    if (this.canUndo) {
      this.future.push(this.present);
      this.present = this.past.pop();
    }
    return this.present;
  }

  redo() {
    if (this.canRedo) {
      this.past.push(this.present);
      this.present = this.future.pop();
    }
    return this.present;
  }
}
