// The editor's edits, as specifications (run by tests/web/test_page_modules.py with node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addNote,
  addNoteAfter,
  deleteNote,
  documentFromTake,
  EditError,
  editedLines,
  History,
  melodyOf,
  mergeWithNext,
  moveNote,
  noteName,
  notesChanged,
  resizeNote,
  setLineText,
  splitNote,
} from "../../../web/js/melody-edit.js";

/** A take of two lines: "la la la" on notes 0-2, "hey" sung over notes 3-4 (a melisma). */
function take() {
  const notes = [
    [0.5, 0.4, 60],
    [1.0, 0.4, 62],
    [1.5, 0.4, 64],
    [2.5, 0.4, 65],
    [3.0, 0.5, 67],
  ].map(([onset_s, duration_s, midi_pitch]) => ({
    onset_s,
    duration_s,
    midi_pitch,
    cents_offset: 5,
    frequency_hz: 440 * 2 ** ((midi_pitch - 69) / 12),
    confidence: 0.9,
  }));
  return {
    melody: {
      notes,
      phrases: [
        { first_note_index: 0, note_count: 3, onset_s: 0.5, duration_s: 1.4 },
        { first_note_index: 3, note_count: 2, onset_s: 2.5, duration_s: 1.0 },
      ],
      tempo_bpm: 120,
      key: { tonic: "C", mode: "KEY_MODE_MAJOR", confidence: 0.8 },
      duration_s: 4.0,
      engine: "swift",
    },
    lyrics: {
      lines: [
        {
          text: "la la la",
          phrase_index: 0,
          syllables: [0, 1, 2].map((i) => ({ text: "la", note_index: i, note_count: 0 })),
        },
        { text: "hey", phrase_index: 1, syllables: [{ text: "hey", note_index: 3, note_count: 2 }] },
      ],
    },
  };
}

test("a take becomes notes with their syllables and one line per phrase", () => {
  const doc = documentFromTake(take());
  assert.deepEqual(
    doc.notes.map((note) => [note.phrase, note.syllable, note.melisma]),
    [
      [0, "la", false],
      [0, "la", false],
      [0, "la", false],
      [1, "hey", false],
      [1, "", true],
    ],
  );
  assert.deepEqual(doc.lines.map((line) => line.text), ["la la la", "hey"]);
});

test("an unedited document gives back the take's melody", () => {
  const original = take().melody;
  const melody = melodyOf(documentFromTake(take()));
  assert.deepEqual(melody.notes, original.notes);
  assert.deepEqual(melody.phrases, original.phrases);
  assert.equal(melody.engine, "edited");
  assert.deepEqual(melody.key, original.key);
});

test("moving a note up two semitones forgets its sung frequency", () => {
  const doc = documentFromTake(take());
  const moved = moveNote(doc, 2, { pitchDelta: 2 });
  assert.equal(moved.notes[1].midi_pitch, 64);
  assert.equal(moved.notes[1].frequency_hz, 0);
  assert.equal(moved.notes[1].cents_offset, 0);
  assert.equal(doc.notes[1].midi_pitch, 62, "the old document is kept for undo");
  assert.ok(notesChanged(moved, doc));
});

test("a note moved in time stops at its neighbours", () => {
  const doc = documentFromTake(take());
  assert.equal(moveNote(doc, 2, { timeDeltaS: 5 }).notes[1].onset_s, 1.1); // next starts at 1.5
  assert.equal(moveNote(doc, 2, { timeDeltaS: -5 }).notes[1].onset_s, 0.9); // previous ends 0.9
  assert.equal(moveNote(doc, 1, { timeDeltaS: -5 }).notes[0].onset_s, 0);
});

test("pitches stay within MIDI 0..127", () => {
  const doc = documentFromTake(take());
  assert.equal(moveNote(doc, 1, { pitchDelta: 200 }).notes[0].midi_pitch, 127);
  assert.equal(moveNote(doc, 1, { pitchDelta: -200 }).notes[0].midi_pitch, 0);
});

test("dragging an edge keeps the note at least 50 ms long and clear of the next", () => {
  const doc = documentFromTake(take());
  const longer = resizeNote(doc, 1, { endDeltaS: 1 });
  assert.ok(Math.abs(longer.notes[0].duration_s - 0.5) < 1e-9); // up to the next onset, 1.0
  const shortest = resizeNote(doc, 1, { endDeltaS: -1 });
  assert.ok(Math.abs(shortest.notes[0].duration_s - 0.05) < 1e-9);
  const earlier = resizeNote(doc, 1, { startDeltaS: -0.2 });
  assert.ok(Math.abs(earlier.notes[0].onset_s - 0.3) < 1e-9);
  assert.ok(Math.abs(earlier.notes[0].duration_s - 0.6) < 1e-9);
});

test("a split note becomes two halves, the second carrying on the syllable", () => {
  const { doc, id } = splitNote(documentFromTake(take()), 1);
  assert.equal(doc.notes.length, 6);
  const [first, second] = doc.notes;
  assert.deepEqual([first.onset_s, first.duration_s], [0.5, 0.2]);
  assert.equal(second.id, id);
  assert.ok(Math.abs(second.onset_s - 0.7) < 1e-9 && Math.abs(second.duration_s - 0.2) < 1e-9);
  assert.deepEqual([second.syllable, second.melisma, second.phrase], ["", true, 0]);
  assert.deepEqual(melodyOf(doc).phrases.map((phrase) => phrase.note_count), [4, 2]);
});

test("a note too short to split is refused with a reason", () => {
  const doc = resizeNote(documentFromTake(take()), 1, { endDeltaS: -1 });
  assert.throws(() => splitNote(doc, 1), EditError);
});

test("merging joins a note with the next of its line, not across lines", () => {
  const doc = documentFromTake(take());
  const merged = mergeWithNext(doc, 1);
  assert.equal(merged.notes.length, 4);
  assert.ok(Math.abs(merged.notes[0].duration_s - 0.9) < 1e-9);
  assert.equal(merged.notes[0].midi_pitch, 60);
  assert.throws(() => mergeWithNext(doc, 3), /new line/);
  assert.throws(() => mergeWithNext(doc, 5), /last note/);
});

test("deleting the only note of a line removes the line; the words of later lines follow", () => {
  let doc = documentFromTake(take());
  doc = setLineText(doc, 1, "over the hill");
  doc = deleteNote(deleteNote(deleteNote(doc, 1), 2), 3);
  assert.deepEqual(doc.lines.map((line) => line.text), ["over the hill"]);
  assert.deepEqual(doc.notes.map((note) => note.phrase), [0, 0]);
  assert.deepEqual(editedLines(doc), { 0: "over the hill" });
  assert.throws(() => deleteNote(deleteNote(doc, 4), 5), /at least one note/);
});

test("deleting a syllable's note hands the syllable to the note that carried it on", () => {
  const doc = deleteNote(documentFromTake(take()), 4);
  assert.deepEqual([doc.notes[3].syllable, doc.notes[3].melisma], ["hey", false]);
});

test("a note is added where there is room, and joins the line before it", () => {
  const doc = documentFromTake(take());
  const { doc: added, id } = addNote(doc, 2.0, 66.6);
  const note = added.notes.find((candidate) => candidate.id === id);
  assert.deepEqual([note.onset_s, note.duration_s, note.midi_pitch, note.phrase], [2.0, 0.5, 67, 0]);
  assert.equal(added.notes.indexOf(note), 3);
  assert.throws(() => addNote(doc, 0.6, 60), /already sounding/);
  assert.throws(() => addNote(doc, 0.98, 60), /no room/);
  const after = addNoteAfter(doc, 5).doc;
  assert.equal(after.notes.length, 6);
  assert.equal(after.notes[5].onset_s, 3.5);
});

test("a note added after one on a legato line takes its second half", () => {
  let doc = documentFromTake(take());
  // Note 1 (0.5-0.9 s) is stretched to end where note 2 starts: no room after it.
  doc = resizeNote(doc, 1, { endDeltaS: 0.1 });
  const { doc: added, id } = addNoteAfter(doc, 1);
  const before = added.notes.find((note) => note.id === 1);
  const note = added.notes.find((note) => note.id === id);
  assert.equal(added.notes.length, 6);
  assert.ok(Math.abs(before.duration_s - 0.25) < 1e-9, before.duration_s);
  assert.ok(Math.abs(note.onset_s - 0.75) < 1e-9 && Math.abs(note.duration_s - 0.25) < 1e-9);
  assert.equal(note.midi_pitch, 60);
  assert.equal(note.syllable, "");
});

test("only lines whose words changed are sent, by line index", () => {
  let doc = documentFromTake(take());
  doc = setLineText(doc, 0, "la la la");
  assert.deepEqual(editedLines(doc), {});
  doc = setLineText(doc, 1, "  hello  ");
  assert.deepEqual(editedLines(doc), { 1: "hello" });
  assert.throws(() => setLineText(doc, 2, "x"), /no line 3/);
  assert.ok(!notesChanged(doc, documentFromTake(take())));
});

test("undo and redo walk the edits; a new edit drops what was undone", () => {
  const first = documentFromTake(take());
  const history = new History(first);
  const second = moveNote(first, 1, { pitchDelta: 1 });
  assert.ok(history.commit(second));
  assert.ok(!history.commit(second), "the same document is not an edit");
  assert.equal(history.undo(), first);
  assert.ok(history.canRedo);
  assert.equal(history.redo(), second);
  history.undo();
  history.commit(moveNote(first, 1, { pitchDelta: -1 }));
  assert.ok(!history.canRedo);
  assert.equal(history.present.notes[0].midi_pitch, 59);
});

test("notes are named in scientific pitch notation", () => {
  assert.deepEqual([60, 69, 61, 21].map(noteName), ["C4", "A4", "C#4", "A0"]);
});

test("a melody without phrases is split at rests of 250 ms", () => {
  const doc = documentFromTake({ melody: { ...take().melody, phrases: [] } });
  assert.deepEqual(doc.notes.map((note) => note.phrase), [0, 0, 0, 1, 1]);
  assert.deepEqual(doc.lines.map((line) => line.text), ["", ""]);
});
