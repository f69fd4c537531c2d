package checkpoint

import (
	"testing"
)

// Link and comment lines: their keys never meet a row's, a made link or
// comment is replaced only by undo's deleted line, one in flight stays in
// doubt until its outcome; full and light States agree.
func TestLinkAndCommentLines(t *testing.T) {
	lk := LinkKey("ZD-1", "is_parent_of", "ZD-7")
	ck := CommentKey("ZD-1", "c-42")
	if lk[0] != ' ' || ck[0] != ' ' || lk == ck {
		t.Fatalf("keys %q, %q", lk, ck)
	}
	if LinkKey("a b", "x", "c") == LinkKey("a", "x", "b c") {
		t.Fatal("link keys of other ends are equal")
	}
	tests := []struct {
		name string
		in   []Entry
		last Status
		op   Op
	}{
		{"linked", []Entry{{Key: lk, Status: Linking}, {Key: lk, Status: Linked, ID: "don:core:dvrv-us-1:devo/x:link/1"}}, Linked, OpLink},
		{"link in doubt", []Entry{{Key: lk, Status: Linking}}, Linking, OpLink},
		{"linked, a stray failure does not forget it", []Entry{{Key: lk, Status: Linked, ID: "L1"}, {Key: lk, Op: OpLink, Status: Failed}}, Linked, OpLink},
		{"linked, undone", []Entry{{Key: lk, Status: Linked, ID: "L1"}, {Key: lk, Op: OpLink, Status: Deleted, ID: "L1"}}, Deleted, OpLink},
		{"commented", []Entry{{Key: ck, Status: Commenting}, {Key: ck, Status: Commented, ID: "C1"}}, Commented, OpComment},
		{"comment failed", []Entry{{Key: ck, Status: Commenting}, {Key: ck, Op: OpComment, Status: Failed}}, Failed, OpComment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, light := fullAndLight(t, append([]Entry{{Key: "ZD-1", Status: Created, ID: workID}}, tt.in...)...)
			for _, st := range []*State{full, light} {
				e, _ := st.Last(tt.in[0].Key)
				if e.Status != tt.last || e.Op != tt.op {
					t.Errorf("light %v: Last = %s %s, want %s %s", st.light != nil, e.Op, e.Status, tt.op, tt.last)
				}
				if w, _ := st.Last("ZD-1"); w.Status != Created {
					t.Errorf("the row's key is %s", w.Status)
				}
			}
		})
	}
}
