package pipeline

import (
	"context"
	"encoding/json"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/reconcile"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// Kind names what an op does. The journal records it on every line
// (checkpoint.Entry.Op).
type Kind = checkpoint.Op

// The kinds of write.
const (
	// KindCreate creates a row's work (works.create).
	KindCreate = checkpoint.OpCreate
	// KindUpdate sends a row's changed fields to its work (works.update,
	// --mode upsert and update). A resent update is harmless, so one in
	// doubt is simply sent again.
	KindUpdate = checkpoint.OpUpdate
	// KindLink links two works (links.create), once both exist; in doubt,
	// it is looked up (links.list) before any resend.
	KindLink = checkpoint.OpLink
	// KindComment puts a comment on a work's timeline; its external_ref
	// makes a resend harmless (409: already there).
	KindComment = checkpoint.OpComment
)

// Op is one write the pipeline performs for a row: the unit that send
// paces, retries, journals (write-ahead) and, when an attempt's answer is
// lost, looks up before any resend.
type Op struct {
	Kind Kind
	Row  source.Row
	Key  string
	// Work is the row as mapped: what a create sends, and what
	// reconciliation compares a found work with.
	Work *mapping.Work
	// Body is the request body, built by the kind's builder when the op
	// is sent.
	Body []byte
	// DependsOn lists the keys whose ops must be done first (nothing yet;
	// a link will depend on two creates).
	DependsOn []string
	// Doubt is the last journal entry an earlier run left for this op when
	// it was in flight ("sending"); nil otherwise.
	Doubt *checkpoint.Entry

	// syncState is what --mode upsert and update add: the row's values,
	// their hashes and, for an update, its work and fields.
	syncState
	// needsRead: the op is decided by the work as DevRev serves it
	// (readWork) before it is sent or planned.
	needsRead bool
	warnings  []string // what Update could not send
	// rel is a link's or a comment's request (KindLink, KindComment).
	rel *relation

	fp    string // fingerprint of Body, on the sending line
	alike uint64 // look-alike hash (see lookAlike)
	sent  bool   // this run wrote the op's sending line
}

// Answer is what a performed op left in DevRev: the object it wrote.
type Answer struct {
	ID, DisplayID, Type string
}

// Request performs one attempt of an op and returns the API's answer, the
// response's rate-limit headers and the attempt's error, typed as the
// devrev client types them (*devrev.APIError, *devrev.TransportError,
// *devrev.BadResponseError) so that throttle.Classify can decide on it.
// It is Config.Request; nil means each kind's DevRev call.
type Request func(ctx context.Context, op *Op) (Answer, devrev.Response, error)

// kindSpec is everything the pipeline needs to know about one kind of
// write. Adding a kind means adding a Kind, its spec and its request
// builder; the limiter, retries, doubt handling, journal and summary
// serve it unchanged.
type kindSpec struct {
	// build returns the op's request body.
	build func(op *Op) ([]byte, error)
	// call performs one attempt through the DevRev client.
	call func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error)
	// find tells whether an attempt whose answer was lost was performed,
	// by looking its result up (see reconcile.Reconciler.Find); nil means
	// a resend is harmless and an op in doubt is simply sent again.
	find func(ctx context.Context, rec *reconcile.Reconciler, op *Op, sentAt time.Time, claimants int) (reconcile.Result, error)
	// ahead is the op's write-ahead journal line (before the request
	// leaves), outcome its line once performed; send fills in the row,
	// key, op and time.
	ahead   func(op *Op) checkpoint.Entry
	outcome func(op *Op, ans Answer) checkpoint.Entry
}

// kinds is the table of write kinds. It is read-only.
var kinds = map[Kind]kindSpec{
	KindCreate: {
		// The body, with the hashes a later upsert compares with (created
		// lines carry them).
		build: func(op *Op) ([]byte, error) { return op.createJSON() },
		ahead: func(op *Op) checkpoint.Entry {
			return checkpoint.Entry{Status: checkpoint.Sending, Attempt: 1, Title: op.Work.Title, FP: op.fp}
		},
		outcome: func(op *Op, ans Answer) checkpoint.Entry {
			return checkpoint.Entry{Status: checkpoint.Created, ID: ans.ID, DisplayID: ans.DisplayID, Type: ans.Type, FH: op.FH, RS: op.rs()}
		},
		call: func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error) {
			w, resp, err := c.CreateWork(ctx, op.Body)
			return Answer{ID: w.ID, DisplayID: w.DisplayID, Type: w.Type}, resp, err
		},
		find: func(ctx context.Context, rec *reconcile.Reconciler, op *Op, sentAt time.Time, claimants int) (reconcile.Result, error) {
			return rec.Find(ctx, reconcile.Query{Key: op.Key, Work: op.Work, Body: op.Body, SentAt: sentAt, Claimants: claimants})
		},
	},
	KindUpdate: {
		// planSync built the body (buildUpdate): only the changed fields.
		build: func(op *Op) ([]byte, error) { return op.Body, nil },
		call: func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error) {
			w, resp, err := c.UpdateWork(ctx, op.Body)
			return Answer{ID: w.ID, DisplayID: w.DisplayID, Type: w.Type}, resp, err
		},
		ahead: func(op *Op) checkpoint.Entry {
			// Named by ID only: the display ID is on the work's earlier lines.
			return checkpoint.Entry{Status: checkpoint.Updating, ID: op.ID, Fields: op.Fields, Before: op.Before}
		},
		outcome: func(op *Op, ans Answer) checkpoint.Entry {
			id, display := op.ID, op.DisplayID
			if ans.DisplayID != "" {
				display = ans.DisplayID
			}
			if ans.ID != "" {
				id = ans.ID
			}
			// The fields sent are on the updating line before it, the type
			// (when it is the row's) on the work's first line.
			typ := ans.Type
			if typ == op.Work.Type {
				typ = ""
			}
			return checkpoint.Entry{Status: checkpoint.Updated, ID: id, DisplayID: display, Type: typ, FH: op.FH, RS: op.rs()}
		},
	},
	KindLink: {
		build: func(op *Op) ([]byte, error) { return json.Marshal(op.rel.link) },
		call: func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error) {
			l, resp, err := c.CreateLink(ctx, op.Body)
			return Answer{ID: l.ID}, resp, err
		},
		ahead: func(op *Op) checkpoint.Entry { return checkpoint.Entry{Status: checkpoint.Linking} },
		outcome: func(op *Op, ans Answer) checkpoint.Entry {
			return checkpoint.Entry{Status: checkpoint.Linked, ID: ans.ID}
		},
	},
	KindComment: {
		build: func(op *Op) ([]byte, error) { return json.Marshal(op.rel.comment) },
		call: func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error) {
			e, resp, err := c.CreateComment(ctx, op.Body)
			return Answer{ID: e.ID}, resp, err
		},
		ahead: func(op *Op) checkpoint.Entry { return checkpoint.Entry{Status: checkpoint.Commenting} },
		outcome: func(op *Op, ans Answer) checkpoint.Entry {
			return checkpoint.Entry{Status: checkpoint.Commented, ID: ans.ID}
		},
	},
}

// clientRequest is the Request that performs each kind's DevRev call.
func clientRequest(c *devrev.Client) Request {
	return func(ctx context.Context, op *Op) (Answer, devrev.Response, error) {
		return kinds[op.Kind].call(ctx, c, op)
	}
}
