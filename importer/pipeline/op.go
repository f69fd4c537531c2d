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

// KindCreate creates a row's work (works.create). It is the only kind
// today; updates, links and comments are coming.
const KindCreate = checkpoint.OpCreate

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
	// by looking its result up (see reconcile.Reconciler.Find).
	find func(ctx context.Context, rec *reconcile.Reconciler, op *Op, sentAt time.Time, claimants int) (reconcile.Result, error)
}

// kinds is the table of write kinds. It is read-only.
var kinds = map[Kind]kindSpec{
	KindCreate: {
		build: func(op *Op) ([]byte, error) { return json.Marshal(op.Work) },
		call: func(ctx context.Context, c *devrev.Client, op *Op) (Answer, devrev.Response, error) {
			w, resp, err := c.CreateWork(ctx, op.Body)
			return Answer{ID: w.ID, DisplayID: w.DisplayID, Type: w.Type}, resp, err
		},
		find: func(ctx context.Context, rec *reconcile.Reconciler, op *Op, sentAt time.Time, claimants int) (reconcile.Result, error) {
			return rec.Find(ctx, reconcile.Query{Key: op.Key, Work: op.Work, Body: op.Body, SentAt: sentAt, Claimants: claimants})
		},
	},
}

// clientRequest is the Request that performs each kind's DevRev call.
func clientRequest(c *devrev.Client) Request {
	return func(ctx context.Context, op *Op) (Answer, devrev.Response, error) {
		return kinds[op.Kind].call(ctx, c, op)
	}
}
