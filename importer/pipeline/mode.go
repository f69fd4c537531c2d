package pipeline

// Mode is how a run writes rows: Config.Mode.
type Mode string

// The modes (--mode, the mapping's mode:).
const (
	// ModeCreate creates the rows never created before and leaves the
	// others alone (counting those that changed since).
	ModeCreate Mode = "create"
	// ModeUpsert creates new rows and updates the works of rows whose
	// mapped values changed since they were last sent.
	ModeUpsert Mode = "upsert"
	// ModeUpdate only updates: a row with no work fails "not found".
	ModeUpdate Mode = "update"
)

// syncs reports whether the mode updates works.
func (m Mode) syncs() bool { return m == ModeUpsert || m == ModeUpdate }
