// Package checkpoint is the importer's crash-safe memory: an append-only
// JSON Lines journal of what happened to every input row, and a run lock
// that keeps two imports off the same journal.
//
// Re-running the same command after a crash (or Ctrl-C, or a lost network)
// reads the journal back, skips every row already created and never creates
// a work twice. A killed process loses at most the lines of requests still
// in flight: every Append is one write(2) of one whole line, handed to the
// OS before Append returns, and fsync is batched in the background.
//
// # File format
//
// The file is UTF-8 JSON Lines, created with mode 0600. Line 1 is the
// header, describing the run that created the file:
//
//	{"checkpoint":2,"input":"/abs/tickets.csv","size":12345,"mapping_hash":"sha256:...","mapping":{"column \"Subject\"":"title",...},"endpoint":"https://api.devrev.ai","org":"don:identity:dvrv-us-1:devo/x","keyed_by":{"columns":["Ticket ID"]},"tool":"devrev-import/0.1.0","created":"2025-01-02T03:04:05Z"}
//
// "checkpoint" is the format version; a reader refuses versions it does
// not know. Version 1 (before the endpoint, org and key were recorded)
// is still read: see Version. "keyed_by" is {"columns": [...]} or, for
// keyless rows, {"hashed": [...]}, the columns whose cells are hashed.
// Every later run on the same file appends a run line before its entries
// (the header counts as run 1), recording what that run was given:
//
//	{"run":2,"started":"2025-01-02T04:00:00.123Z","input":"/abs/tickets.csv","size":12345,"mapping_hash":"sha256:...",...}
//
// All other lines are entries, one per outcome, keyed by the row key (the
// identity of a row across runs, e.g. "TKT-9|..."); "row" is the 1-based
// row number the user sees, for messages only:
//
//	{"row":14,"key":"TKT-9","op":"create","v":2,"status":"sending","ts":"...","attempt":1,"title":"Printer on fire","fp":"9f86d081884c7d65"}
//	{"row":14,"key":"TKT-9","op":"create","v":2,"status":"created","ts":"...","id":"don:core:...","display_id":"ISS-42","type":"issue"}
//	{"row":15,"key":"TKT-10","op":"create","v":2,"status":"invalid","ts":"...","errors":["priority: unknown value \"P9\""]}
//	{"row":16,"key":"TKT-11","op":"create","v":2,"status":"failed","ts":"...","http_status":400,"error":{"type":"bad_request","message":"..."},"attempts":3}
//	{"row":14,"key":"TKT-9","op":"create","v":2,"status":"deleted","ts":"...","id":"don:core:..."}
//	{"row":17,"key":"TKT-12","op":"create","v":2,"status":"ambiguous","ts":"...","error":{"type":"in_doubt_ambiguous","message":"..."},"candidates":["TKT-40","TKT-41"]}
//
// "op" is the kind of write the entry is about ("create" or "update") and
// "v" the entry's version (EntryVersion). Entries written before ops
// existed have neither: they are version 1 and are read as creates; an op
// or version this build does not know is refused.
//
// A sync (create or update by key) adds field hashes and update lines:
//
//	{"row":14,"key":"TKT-9","op":"create","v":2,"status":"created",...,"id":"don:core:...","fh":{"owned_by":"1c2d3e4f","title":"a1b2c3d4"}}
//	{"row":15,"key":"TKT-10","op":"update","v":2,"status":"found","ts":"...","id":"don:core:...","display_id":"ISS-7","type":"issue","fh":{...},"before":{"title":"Old title"}}
//	{"row":15,"key":"TKT-10","op":"update","v":2,"status":"updating","ts":"...","id":"don:core:...","fields":["title"],"before":{"title":"Old title"}}
//	{"row":15,"key":"TKT-10","op":"update","v":2,"status":"updated","ts":"...","id":"don:core:...","display_id":"ISS-7","type":"issue","fh":{...},"rs":"9f2c..."}
//	{"row":16,"key":"TKT-11","op":"update","v":2,"status":"verified","ts":"...","id":"don:core:...","rs":"4e1a..."}
//
// "fh" hashes every mapped field's value as the work has it in DevRev
// after the line (what the create sent, what DevRev had when the work was
// found, what the update left); "rs" digests the cells of the row those
// values were mapped from (a row with the same cells and mapping is
// unchanged without being mapped); a "verified" line gives a work's row a
// new digest after the row was compared field by field and found
// unchanged (see Verified); "fields" are what an update sends (on
// its updating line; updated lines written before December 2026 repeat
// them); "before"
// DevRev's values of fields before this checkpoint changed them (what undo
// puts back). A created line without "fh" (written before) leaves the sent
// values unknown. An updating line without an updated one after it is an
// update in doubt: resending it is harmless, so the next run does.
//
// "fp" fingerprints the request a sending line announces: rows whose
// requests were identical share it, so reconciliation knows how many rows
// may have created works that look alike. An "ambiguous" row was in doubt
// and more works matched it than rows could have created them: it is
// never sent again until a person decides (devrev-import resolve appends a
// "created" line naming the work, or a "failed" one so the next run sends
// it).
//
// A line is told apart by its keys: "checkpoint" (header, line 1 only),
// "run" (run line), otherwise an entry, which must have a non-empty "key"
// and a known "status" (and "op", if any). Blank lines are ignored.
//
// # Crash tolerance
//
// Only the last line can be torn by a crash (a partial write, or garbage
// after a power loss): a last line that is not valid JSON is ignored with a
// warning by Read and cut off by Open before it appends. A line that is not
// valid JSON anywhere else, or a valid line that makes no sense (unknown
// status, missing key, second header), is an error naming its line number:
// the file was damaged or edited, and guessing could create duplicates.
//
// # Snapshot
//
// With Options.SnapshotTag, a light Open loads PATH.snap (see
// SnapshotSuffix and snapshot.go), the light State of the journal's first
// bytes, instead of reading them, and reads only the lines after them; it
// is used only when whole, written by the same build and taken of exactly
// the bytes the journal still starts with (CRC-32C), and rewritten when a
// run read or appended many lines. It is never the truth: without it the
// journal is read in full, with the same result.
//
// # State
//
// Reading the journal yields a State: the last entry per key, except that a
// `created` entry is only replaced by a later `created` or `deleted` one (a
// stray `sending` or `failed` after a success must not make the importer
// create the work again; update lines after it leave it deciding), a
// `found`, `updating` or `updated` one only by one of these, `created` or
// `deleted` (the work stays known), and a `sending` or `ambiguous` entry is not
// replaced by an `invalid` one or another row's `duplicate_key` failure
// (neither tells whether the request made a work). A key whose last
// entry is `sending` is in doubt:
// the request may or may not have reached DevRev, and the importer must
// reconcile it (e.g. by looking for the title) before sending again.
package checkpoint
