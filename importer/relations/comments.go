package relations

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// ExternalRef is the external_ref a comment is created with: DevRev
// refuses (409) a second comment with the same one on a work, which makes
// comments exactly once whatever crashes in between. It is derived from
// the source comment's ID when there is one ("devrev-import:c:ID"; an ID
// over 64 bytes is hashed), else from a hash of the work's key, the
// comment's position, author, date and body ("devrev-import:h:" and 32 hex
// digits): a rerun derives the same, an edited comment another.
func ExternalRef(key string, c mapping.Comment) string {
	if c.SourceID != "" {
		if len(c.SourceID) <= 64 {
			return "devrev-import:c:" + c.SourceID
		}
		sum := sha256.Sum256([]byte(c.SourceID))
		return "devrev-import:c:" + hex.EncodeToString(sum[:16])
	}
	var b []byte
	for _, s := range [...]string{key, c.Author, dateText(c.Date), c.Body} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(c.Position))
	sum := sha256.Sum256(b)
	return "devrev-import:h:" + hex.EncodeToString(sum[:16])
}

// dateText is a comment's date for the hash and the body: RFC 3339 in
// its own zone, "" when unknown.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// CommentBody is the body a comment is sent with: the API records the
// token's user as the author, so the original author and date, when
// known, open the text ("Originally by alice@example.com on 2024-03-05
// 14:30 UTC:", then an empty line).
func CommentBody(c mapping.Comment) string {
	var by string
	switch {
	case c.Author != "" && !c.Date.IsZero():
		by = "Originally by " + c.Author + " on " + c.Date.Format("2006-01-02 15:04 MST") + ":"
	case c.Author != "":
		by = "Originally by " + c.Author + ":"
	case !c.Date.IsZero():
		by = "Originally written on " + c.Date.Format("2006-01-02 15:04 MST") + ":"
	default:
		return c.Body
	}
	return by + "\n\n" + c.Body
}

// CommentsFile reads a comments file (--comments): one comment a row,
// mapped by the mapping's comments: section, each with its position among
// its key's comments in file order.
type CommentsFile struct {
	src  source.Reader
	cm   *mapping.CommentsMapper
	seed maphash.Seed
	seen table // key hash → comments so far
}

// CommentItem is one row of a comments file.
type CommentItem struct {
	Row      int    // the row number
	Key      string // the work's key
	Comment  mapping.Comment
	Problems []mapping.Problem // empty: the comment is valid
}

// OpenComments opens a comments file (CSV or XLSX; opt.Sheet picks the
// sheet, else the section's sheet:) and binds the mapping's comments:
// section to its header. loc reads dates without a zone (nil: the
// mapping's timezone, else UTC).
func OpenComments(path string, opt source.Options, cfg *mapping.Config, loc *time.Location) (*CommentsFile, error) {
	if cfg != nil && cfg.Comments != nil && opt.Sheet == "" {
		opt.Sheet = cfg.Comments.Sheet
	}
	if cfg == nil || cfg.Comments == nil {
		_, err := mapping.CompileComments(cfg, nil, loc) // says what the mapping lacks
		return nil, err
	}
	src, err := source.Open(path, opt)
	if err != nil {
		return nil, err
	}
	cm, err := mapping.CompileComments(cfg, src.Header(), loc)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &CommentsFile{src: src, cm: cm, seed: maphash.MakeSeed()}, nil
}

// Next returns the next comment, or io.EOF after the last one. Errors
// other than io.EOF are the file's (a *source.FileError).
func (f *CommentsFile) Next() (CommentItem, error) {
	row, err := f.src.Next()
	if err != nil {
		if err == io.EOF {
			f.seen = table{} // the positions are all given
		}
		return CommentItem{}, err
	}
	cr := f.cm.Map(row)
	it := CommentItem{Row: row.Number, Key: cr.Key, Comment: cr.Comment, Problems: cr.Problems}
	if cr.Key != "" {
		h := maphash.String(f.seed, cr.Key)
		n, _ := f.seen.get(h)
		f.seen.put(h, n+1, false)
		it.Comment.Position = int(n + 1)
	}
	return it, nil
}

// Where names a cell of the comments file (source.Reader.Where).
func (f *CommentsFile) Where(row, col int) string { return f.src.Where(row, col) }

// Close closes the file.
func (f *CommentsFile) Close() error { return f.src.Close() }

// Check reads every comment of f into ix and returns the problems of its
// rows (formatted with their cell) and how many there were; it keeps at
// most max messages. ix names f's rows by f.Where.
func Check(f *CommentsFile, ix *Index, max int) (msgs []string, count int, err error) {
	ix.opt.CommentWhere = f.Where
	for {
		it, err := f.Next()
		if err == io.EOF {
			return msgs, count, nil
		}
		if err != nil {
			return msgs, count, err
		}
		if len(it.Problems) > 0 {
			for _, p := range it.Problems {
				count++
				if len(msgs) < max {
					msgs = append(msgs, p.Format(f.Where(it.Row, p.Col)))
				}
			}
			continue
		}
		if err := ix.AddComment(it.Row, it.Key); err != nil {
			return msgs, count, err
		}
	}
}
