package e2e

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// TestUpsertKill9 imports 2,000 keyed rows, edits the file as the next
// night's export (changed titles, owners, priorities, tags and dates,
// emptied dates, 100 new rows, 10 removed) and runs `import --mode
// upsert` against a simulator that drops the connection after performing
// 10% of writes (ghost updates and creates) and answers 3% 500 and 3%
// 503, killing the importer with SIGKILL at eight moments: five right
// after an update was performed (its answer held back, never read), three
// after a create. Then it runs the same command until it exits 0. Through
// the simulator's own record: every work equals the file field for field,
// no key has two works, every changed row's update reached the simulator
// with exactly the changed fields and no other row was updated, creates
// equal new rows exactly (a create in doubt is looked up, never resent),
// updates equal changed rows plus the re-sent in-doubt ones (harmless, and
// counted); the checkpoint has nothing in doubt; a further run writes
// nothing. It runs once with the first import's checkpoint, and once with
// the checkpoint lost before the upsert (every key is looked up in
// DevRev, and the kills leave updates of works the new checkpoint found
// but holds no hashes for; undo then puts every work back to the first
// night and deletes the new ones).
func TestUpsertKill9(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(map[bool]string{false: "checkpoint kept", true: "checkpoint lost"}[lose], func(t *testing.T) {
			t.Parallel()
			upsertKill9(t, lose)
		})
	}
}

func upsertKill9(t *testing.T, loseCheckpoint bool) {
	n, added := shortOr(2000, 400), shortOr(100, 60)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x5ca7))
	first := syncRows(n)
	f := newSyncFixture(t, first, fixtureOptions{
		sim:  simulator.Options{Seed: int64(seed)},
		args: []string{"--workers", "8", "--max-consecutive-failures", "200"},
	})
	f.finish(1, 2*time.Minute)
	if loseCheckpoint {
		if err := os.Remove(f.ck); err != nil {
			t.Fatal(err)
		}
	}

	next := nextNight(first, added, 10)
	changed := changedRows(first, next)
	f.writeSync(next)
	f.sim.SetFaults(simulator.Faults{DropAfter: 0.10, Err500: 0.03, Err503: 0.03})
	f.args = append(f.args, "--mode", "upsert")
	stats, obsBefore := f.sim.Stats(), f.obs.snapshot()

	// Five kills land on updates, then three on creates. A run makes its
	// updates before its creates (the new rows are at the end of the
	// file), and each row not yet in DevRev as the file says needs one
	// more request at least: a kill point within that many is reached.
	const updateKills, kills = 5, 8
	for killed := 0; killed < kills; {
		path, left := pathUpdate, updateKills-killed
		if killed >= updateKills {
			path, left = pathCreate, kills-killed
		}
		todo := f.notYetSynced(next, changed, added, stats, path)
		if todo == 0 {
			t.Fatalf("kill %d: no %s left to kill on", killed+1, path)
		}
		at := 1 + rng.Int64N(int64(max(todo/(left+1), 1)))
		tr := f.obs.armOn(path, at, false)
		p := f.start()
		if f.killWhen(p, tr) {
			killed++
			creates, updates := doubtCounts(t, f.ck)
			t.Logf("kill %d (run %d) after %d more %s (of %d rows to do): in doubt %d creates, %d updates", killed, f.runs, at, path, todo, creates, updates)
			continue
		}
		if p.code == exitOK {
			t.Fatalf("run %d finished before its kill point (%d more %s); only %d kills", f.runs, at, path, killed)
		}
		if p.code != exitRows && p.code != exitStopped {
			t.Fatalf("run %d: exit %d\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
		}
		t.Logf("run %d exited %d before its kill point:\n%s", f.runs, p.code, tail(p.stderr.String(), 1500))
	}
	f.obs.disarm()

	// The plan after the kills: what the runs to come will do, the rows in
	// doubt included (a create in doubt is planned as a create: it is
	// found, or sent; an update in doubt as an update).
	dry := f.obs.snapshot()
	pp, code := f.runOnce(2*time.Minute, "--dry-run")
	plan := pp.result(t)
	if code != exitOK || plan == nil {
		t.Fatalf("dry run: exit %d\n%s", code, tail(pp.stderr.String(), 3000))
	}
	if now := f.obs.snapshot(); now.Creates != dry.Creates || now.Updates != dry.Updates {
		t.Errorf("the dry run wrote: %d creates, %d updates", now.Creates-dry.Creates, now.Updates-dry.Updates)
	}
	planned := len(f.outs)
	f.finish(5, 3*time.Minute)
	var didCreate, didUpdate int
	for _, p := range f.outs[planned:] {
		if s := p.result(t); s != nil {
			didCreate, didUpdate = didCreate+s.Created, didUpdate+s.Updated
		}
	}
	if plan.Created != didCreate || plan.Updated != didUpdate {
		t.Errorf("the plan after the kills said create %d, update %d; the runs then created %d, updated %d",
			plan.Created, plan.Updated, didCreate, didUpdate)
	}
	last := f.outs[len(f.outs)-1].result(t)
	if last == nil {
		t.Fatal("the final run wrote no summary")
	}
	if done := last.Created + last.Updated + last.Unchanged; done != len(next) || last.Failed != 0 || last.NotAttempted != 0 {
		t.Errorf("final run: created %d + updated %d + unchanged %d = %d, want %d rows; failed %d, not attempted %d",
			last.Created, last.Updated, last.Unchanged, done, len(next), last.Failed, last.NotAttempted)
	}
	obsAfter := f.obs.snapshot()
	creates, updates := f.writesSince(stats)
	_, resent := f.assertSynced(withRemoved(next, first), changed)
	if creates != added {
		t.Errorf("the simulator performed %d creates, want %d (one per new row)", creates, added)
	}
	if updates != len(changed)+resent {
		t.Errorf("the simulator performed %d updates, want %d changed rows + %d resent", updates, len(changed), resent)
	}
	if c, u := doubtCounts(t, f.ck); c != 0 || u != 0 {
		t.Errorf("the checkpoint still has rows in doubt: %d creates, %d updates", c, u)
	}
	t.Logf("%d rows (%d changed, %d new, 10 removed), %d runs after the first import (%d killed, 1 dry); plan after the kills: create %d, update %d; final run: created %d, updated %d, unchanged %d, reconciled %d",
		len(next), len(changed), added, f.runs-1, kills, plan.Created, plan.Updated, last.Created, last.Updated, last.Unchanged, last.Reconciled)
	t.Logf("writes performed: %d creates + %d updates = %d = new %d + changed %d + %d resent in-doubt updates; requests: works.create %d %v, works.update %d %v, works.list %d",
		creates, updates, creates+updates, added, len(changed), resent,
		obsAfter.Creates-obsBefore.Creates, since(obsAfter.ByStatus, obsBefore.ByStatus),
		obsAfter.Updates-obsBefore.Updates, since(obsAfter.UpdateStatus, obsBefore.UpdateStatus), obsAfter.Lists-obsBefore.Lists)

	f.assertQuietNight()
	if loseCheckpoint {
		f.assertUndoRestores(first)
	}
	f.assertNoSecret()
}

// assertUndoRestores runs undo over a checkpoint that found the works of
// first in DevRev and updated some (and created others): the works it
// created are deleted, the updated fields put back, so that DevRev holds
// first again, field for field.
func (f *fixture) assertUndoRestores(first []syncRow) {
	f.t.Helper()
	f.sim.SetFaults(simulator.Faults{})
	cmd := exec.Command(binPath, "undo", f.ck, "--yes", "--progress", "never")
	cmd.Env = childEnv(f.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("undo: %v\n%s", err, tail(string(out), 3000))
	}
	f.keys = f.keys[:0]
	for _, r := range first {
		f.keys = append(f.keys, r.key)
	}
	byKey := f.assertExactlyOnce() // the works created are gone
	bad := 0
	for _, r := range first {
		if got := servedRow(byKey[r.key]); got != r {
			if bad++; bad <= 10 {
				f.t.Errorf("after undo, key %s: work says %+v, want %+v", r.key, got, r)
			}
		}
	}
	f.t.Logf("undo: %d works differ from the first night; %s", bad, tail(strings.TrimSpace(string(out)), 200))
}

// TestUpsertKill9RefusedClear kills the importer while the update that
// clears a row's emptied date has been refused (503) and is waiting for
// its retry: the journal says the update is in doubt (updating, no
// updated), and DevRev still has the date. The next run must send the
// clear again (an emptied cell is absent from the row's values, so "the
// fields in doubt differ from what was sent" does not find it by
// comparing), and the title change of another row in doubt likewise.
func TestUpsertKill9RefusedClear(t *testing.T) {
	t.Parallel()
	first := syncRows(3)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--mode", "upsert"}})
	f.finish(1, time.Minute)
	next := slices.Clone(first)
	next[1].due = ""
	next[2].title = "Renamed in the export"
	changed := changedRows(first, next)
	f.writeSync(next)

	f.sim.SetFaults(simulator.Faults{Err503: 1})
	tr := f.obs.armOn(pathUpdate, 1, false)
	if p := f.start(); !f.killWhen(p, tr) {
		t.Fatalf("run %d exited %d before its first update\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
	}
	if _, updates := doubtCounts(t, f.ck); updates == 0 {
		t.Fatalf("no update in doubt after the kill: the test did not test")
	}

	f.sim.SetFaults(simulator.Faults{})
	// The plan says what the import then does: both updates.
	pp, code := f.runOnce(time.Minute, "--dry-run")
	if plan := pp.result(t); code != exitOK || plan == nil || plan.Updated != len(changed) {
		t.Errorf("dry run: exit %d, summary %+v, want %d updates\n%s", code, plan, len(changed), tail(pp.stderr.String(), 3000))
	}
	p, code := f.runOnce(time.Minute)
	if s := p.result(t); code != exitOK || s == nil || s.Updated != len(changed) {
		t.Errorf("import: exit %d, summary %+v, want %d updates\n%s", code, s, len(changed), tail(p.stderr.String(), 3000))
	}
	f.assertSynced(next, changed)
	if _, updates := doubtCounts(t, f.ck); updates != 0 {
		t.Errorf("%d works still have an update in doubt", updates)
	}
	f.assertQuietNight()
}

// notYetSynced counts the rows whose write of path the simulator has not
// performed yet: the added new rows not created, or the changed rows whose
// work does not say what the row says.
func (f *fixture) notYetSynced(next []syncRow, changed map[string][]string, added int, before simulator.Stats, path string) int {
	if path == pathCreate {
		return added - (f.sim.Stats().Creates - before.Creates)
	}
	byKey := map[string]simulator.Work{}
	for _, w := range f.sim.Works() {
		byKey[f.identity(w)] = w
	}
	todo := 0
	for _, r := range next {
		if changed[r.key] != nil && servedRow(byKey[r.key]) != r {
			todo++
		}
	}
	return todo
}

// since is the counts by status of now less those of before.
func since(now, before map[int]int) map[int]int {
	out := map[int]int{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// killWhen kills run p with SIGKILL once tr has fired (a write performed,
// its answer held), checks that p died of it and releases the answer;
// false when p exited first (its code is p.code, tr is disarmed).
func (f *fixture) killWhen(p *proc, tr *trigger) bool {
	f.t.Helper()
	select {
	case <-tr.Fired():
	case <-p.done:
		f.obs.disarm()
		return false
	}
	p.signal(f.t, syscall.SIGKILL)
	code := p.wait(f.t, time.Minute)
	tr.Release()
	if code != exitKilled {
		f.t.Fatalf("run %d: exit %d after SIGKILL, want death by signal", f.runs, code)
	}
	return true
}

// doubtCounts reads the journal as a restarted run would and counts the
// rows left in doubt: creates (last line sending) and works with an update
// in doubt (updating, no updated after it).
func doubtCounts(t *testing.T, path string) (creates, updates int) {
	t.Helper()
	_, st, _, err := checkpoint.Read(path)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	st.Each(func(e checkpoint.Entry) bool {
		if e.Status == checkpoint.Sending {
			creates++
		}
		sent, ok, err := st.Sent(e.Key)
		if err != nil {
			t.Fatalf("checkpoint: key %s: %v", e.Key, err)
		}
		if ok && len(sent.InDoubt) > 0 {
			updates++
		}
		return true
	})
	return creates, updates
}

// TestUpsertCreateInDoubtThenEdited kills the importer right after a
// create was performed (its answer never read), then the export changes
// before the next run: the rerun finds the work by its key (the create is
// not sent again) and must still bring it to what the row says now, not
// take the work found for the row's new values.
func TestUpsertCreateInDoubtThenEdited(t *testing.T) {
	t.Parallel()
	first := syncRows(3)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--mode", "upsert", "--workers", "1"}})
	tr := f.obs.arm(1, false)
	if p := f.start(); !f.killWhen(p, tr) {
		t.Fatalf("run %d exited %d before its first create\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
	}
	if creates, _ := doubtCounts(t, f.ck); creates != 1 {
		t.Fatalf("%d creates in doubt after the kill, want 1", creates)
	}

	next := slices.Clone(first)
	for i := range next {
		next[i].title += " (edited the next day)"
		next[i].due = ""
	}
	f.writeSync(next)
	f.finish(2, time.Minute)
	if n := f.sim.Stats().Creates; n != len(next) {
		t.Errorf("%d creates, want %d", n, len(next))
	}
	f.assertSynced(next, changedRows(first[:1], next[:1]))
	f.assertQuietNight()
}

// TestUpsertChangedInDoubtWithoutKeyField kills the importer right after
// a create was performed, when the key is not stored in DevRev, and then
// the export changes that row before the next run. Reconciliation matches
// works by the values sent, which the row no longer has: the row must not
// be sent again (a second work) but fail as in doubt, changed, until a
// person names its work with resolve; then the next run updates that work
// to the row.
func TestUpsertChangedInDoubtWithoutKeyField(t *testing.T) {
	t.Parallel()
	first := syncRows(3)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--mode", "upsert", "--workers", "1"}})
	unstored := strings.Replace(syncMapping, "  Ticket ID: custom_fields.tnt__external_id\n", "", 1) + "ignore: [Ticket ID]\n"
	if err := os.WriteFile(f.mapping, []byte(unstored), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := f.obs.arm(1, false)
	if p := f.start(); !f.killWhen(p, tr) {
		t.Fatalf("run %d exited %d before its first create\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
	}
	made := f.sim.Works()
	if len(made) != 1 {
		t.Fatalf("%d works after the kill, want the 1 whose answer was held", len(made))
	}
	next := slices.Clone(first)
	for i := range next {
		next[i].title += " (edited)"
	}
	f.writeSync(next)

	p, code := f.runOnce(time.Minute)
	if s := p.result(t); code != exitRows || s == nil || s.Created != 2 || s.Failed != 1 || !strings.Contains(p.stderr.String(), "in_doubt_changed") {
		t.Fatalf("rerun: exit %d (want %d), summary %+v\n%s", code, exitRows, s, tail(p.stderr.String(), 3000))
	}
	if n := len(f.sim.Works()); n != 3 {
		t.Fatalf("%d works after the rerun, want 3 (none twice)", n)
	}
	cmd := exec.Command(binPath, "resolve", f.ck, "2", "--id", made[0].DisplayID)
	cmd.Env = childEnv(f.url)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resolve: %v\n%s", err, out)
	}
	f.finish(1, time.Minute)
	works := f.sim.Works()
	titles := make([]string, len(works))
	for i, w := range works {
		titles[i] = w.Title
	}
	slices.Sort(titles)
	want := []string{next[0].title, next[1].title, next[2].title}
	if !slices.Equal(titles, want) {
		t.Errorf("works %q, want %q", titles, want)
	}
}
