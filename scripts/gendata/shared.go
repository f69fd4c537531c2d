package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// shareStrings rewrites the workbook at path (written by excelize's
// StreamWriter, whose text cells are inline strings) the way Excel saves
// it: every text cell of the first sheet refers by index to a
// shared-strings table, xl/sharedStrings.xml, which holds each distinct
// text once, in order of first use. The rewrite streams the sheet; the
// table is built in memory (a tool for benchmark files, not the importer).
func shareStrings(path string) (err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	tmp := path + ".shared"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	zw := zip.NewWriter(bw)
	table := &stringTable{index: map[string]int{}}
	for _, zf := range zr.File {
		switch zf.Name {
		case "xl/worksheets/sheet1.xml":
			err = rewriteEntry(zw, zf, func(r io.Reader, w io.Writer) error { return table.shareSheet(r, w) })
		case "[Content_Types].xml":
			err = rewriteEntry(zw, zf, insertBefore("</Types>", `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`))
		case "xl/_rels/workbook.xml.rels":
			err = rewriteEntry(zw, zf, insertBefore("</Relationships>", `<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`))
		case "xl/sharedStrings.xml":
			// replaced below
		default:
			err = zw.Copy(zf)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", zf.Name, err)
		}
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	if err := table.write(w); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// rewriteEntry writes zf's content through edit as a new deflated entry.
func rewriteEntry(zw *zip.Writer, zf *zip.File, edit func(io.Reader, io.Writer) error) error {
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := zw.Create(zf.Name)
	if err != nil {
		return err
	}
	return edit(rc, w)
}

// insertBefore returns an edit that inserts text before the last mark of a
// small part, unless the part already says sharedStrings.
func insertBefore(mark, text string) func(io.Reader, io.Writer) error {
	return func(r io.Reader, w io.Writer) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		i := bytes.LastIndex(b, []byte(mark))
		if i < 0 {
			return fmt.Errorf("no %s", mark)
		}
		if !bytes.Contains(b, []byte("sharedStrings")) {
			b = append(b[:i:i], append([]byte(text), b[i:]...)...)
		}
		_, err = w.Write(b)
		return err
	}
}

// stringTable is the shared-strings table being built: each distinct text
// (kept XML-escaped, as the sheet had it) and its index.
type stringTable struct {
	index map[string]int
	texts []string
	count int
}

// inline is how excelize's StreamWriter writes a text cell's type and value.
var (
	inlineStart = []byte(` t="inlineStr"><is><t`)
	inlineEnd   = []byte(`</t></is></c>`)
)

// shareSheet copies the sheet XML, turning each inline string cell into a
// shared-string cell, one row at a time.
func (st *stringTable) shareSheet(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.Index(data, []byte("</row>")); i >= 0 {
			return i + 6, data[:i+6], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	for sc.Scan() {
		if err := st.shareRow(bw, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// shareRow writes one row's XML with its inline strings shared.
func (st *stringTable) shareRow(w *bufio.Writer, row []byte) error {
	for {
		i := bytes.Index(row, inlineStart)
		if i < 0 {
			_, err := w.Write(row)
			return err
		}
		w.Write(row[:i])
		rest := row[i+len(inlineStart):]
		gt := bytes.IndexByte(rest, '>') // after <t or <t xml:space="preserve"
		end := bytes.Index(rest, inlineEnd)
		if gt < 0 || end < gt {
			return fmt.Errorf("unexpected inline string %.80q", row[i:])
		}
		text := string(rest[gt+1 : end])
		n, ok := st.index[text]
		if !ok {
			n = len(st.texts)
			st.index[text] = n
			st.texts = append(st.texts, text)
		}
		st.count++
		w.WriteString(` t="s"><v>`)
		w.WriteString(strconv.Itoa(n))
		w.WriteString(`</v></c>`)
		row = rest[end+len(inlineEnd):]
	}
}

// write writes the table as xl/sharedStrings.xml.
func (st *stringTable) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, st.count, len(st.texts))
	for _, t := range st.texts {
		space := ""
		if strings.TrimSpace(t) != t {
			space = ` xml:space="preserve"`
		}
		fmt.Fprintf(bw, "<si><t%s>%s</t></si>", space, t)
	}
	bw.WriteString("</sst>")
	return bw.Flush()
}
