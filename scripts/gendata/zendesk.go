package main

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// zendeskSample is samples/zendesk-tickets.xlsx: a ticket export shaped like
// Zendesk's, imported as it is with samples/zendesk-tickets.yaml. Names and
// emails (assignee email, organization, product, tags) are resolved to
// DevRev IDs by the importer's lookups; samples/README.md lists the rows
// that fail on purpose (Invalid, same row numbers).
func zendeskSample() sample {
	const when = "yyyy-mm-dd hh:mm"
	return sample{
		Name:  "zendesk-tickets",
		Sheet: "Tickets",
		Invalid: map[int]string{
			5:  "Assignee email `dan@exampel.com` is not a dev user (did you mean dan@example.com?)",
			9:  "Organization `Umbrella Corp` is not an account in the org",
			13: "Tag `securty` is not a tag in the org (did you mean security?)",
		},
		Columns: []column{
			{Header: "Id", Width: 7},
			{Header: "Subject", Width: 44},
			{Header: "Description", Width: 60, Wrap: true},
			{Header: "Status", Width: 9},
			{Header: "Priority", Width: 9},
			{Header: "Ticket type", Width: 11},
			{Header: "Requester", Width: 16},
			{Header: "Requester email", Width: 24},
			{Header: "Assignee", Width: 14},
			{Header: "Assignee email", Width: 24},
			{Header: "Organization", Width: 14},
			{Header: "Group", Width: 16},
			{Header: "Tags", Width: 30},
			{Header: "Via", Width: 11},
			{Header: "Product", Width: 12},
			{Header: "Customer impact", Width: 15},
			{Header: "Created at", Width: 17, NumFmt: when},
			{Header: "Due date", Width: 11, NumFmt: "yyyy-mm-dd"},
		},
		Rows: [][]any{
			{2041, "Invoice PDF shows the wrong VAT rate",
				"Hi team,\n\nthe PDF for invoice INV-2024-0042 says \"VAT 19%\", but we are in Austria (20%).\n\nThanks, Maria",
				"Open", "High", "Problem", "Maria Huber", "maria.huber@acme.example", "Bob Builder", "bob@example.com", "Acme Corp",
				"Billing Support", "bug customer-reported", "Email", "PDF Export", true, at(2024, 3, 1, 9, 12), day(2024, 3, 15)},
			{2042, "App crashes on login after update to 4.2",
				"Steps:\n1. Update the app to 4.2\n2. Log in with SSO\n3. The app closes, no error shown\n\nPixel 7, Android 14.",
				"Open", "Urgent", "Incident", "Hank Scorpio", "hank@globex.example", "Carol Chen", "carol@example.com", "Globex",
				"Mobile", "bug regression", "Web Widget", "Mobile App", true, at(2024, 3, 5, 14, 47), day(2024, 3, 8)},
			{2043, "請求書のダウンロードができません",
				"管理画面から請求書（PDF）をダウンロードしようとすると、「エラーが発生しました」と表示されます。",
				"Pending", "High", "Problem", "佐藤 花子", "hanako.sato@initech.example", "Carol Chen", "Carol.Chen@example.com", "Initech",
				"Japan", "customer-reported", "Email", "Invoices", true, at(2024, 3, 6, 2, 15), day(2024, 3, 20)},
			{2044, "Sync takes minutes on slow networks",
				"On 3G the first sync after login takes 4-6 minutes; the spinner just says \"Syncing…\".",
				"Open", "Normal", "Problem", "Wile E.", "wile@acme.example", "Dan Diaz", "dan@exampel.com", "Acme Corp",
				"Mobile", "regression", "Slack", "Faster Sync", false, at(2024, 3, 7, 11, 30), day(2024, 3, 22)},
			{2045, "Feature request: export invoices as CSV",
				"Our accountant would like a CSV export of all invoices, with net, VAT and gross amounts.",
				"New", "Low", "Question", "Hank Scorpio", "hank@globex.example", "Bob Builder", "bob@example.com", "Globex",
				"Billing Support", "feature-request", "Web Widget", "PDF Export", false, at(2024, 3, 7, 16, 0), ""},
			{2046, "Password reset e-mail never arrives",
				"Tried three times, checked spam, nothing.",
				"Open", "High", "Incident", "Wile E.", "wile@acme.example", "", "", "ACME Corp",
				"Mobile", "bug security", "Email", "Mobile App", true, at(2024, 3, 8, 15, 20), day(2024, 3, 12)},
			{2047, "Crédit note applied twice on renewal",
				"Renewal of contract C-778: the crédit note of 250,00 € was deducted twice.",
				"Open", "Normal", "Problem", "Claire Dubois", "claire@globex.example", "Bob Builder", "bob@example.com", "Globex",
				"Billing Support", "bug customer-reported", "Email", "Billing", true, at(2024, 3, 11, 13, 41), day(2024, 3, 29)},
			{2048, "Refund for a duplicate charge",
				"We were charged twice for March (2 × 1,200.00 USD). Please refund one of them.",
				"Open", "High", "Problem", "Jane Roe", "jane@umbrella.example", "Alice Admin", "alice@example.com", "Umbrella Corp",
				"Billing Support", "customer-reported", "Email", "Billing", true, at(2024, 3, 11, 16, 2), day(2024, 3, 14)},
			{2049, "Dark mode: invoice totals unreadable",
				"Grey text on a dark grey background, see the attached screenshot.",
				"New", "Low", "Problem", "Hank Scorpio", "hank@globex.example", "Dan Diaz", "dan@example.com", "Globex",
				"Mobile", "bug", "Web Widget", "Mobile App", false, at(2024, 3, 12, 8, 0), ""},
			{2050, "Suspicious login attempts from a new IP range",
				"~300 failed logins on the billing portal from 203.0.113.0/24 overnight; 12 accounts locked.",
				"Open", "Urgent", "Incident", "Peter Gibbons", "peter@initech.example", "Carol Chen", "carol@example.com", "Initech",
				"Security", "security", "Email", "Billing", true, at(2024, 3, 12, 23, 58), day(2024, 3, 13)},
			{2051, "Rechnungsadresse lässt sich nicht ändern",
				"Beim Speichern der neuen Adresse (Königstraße 12, München) kommt \"Ungültige Eingabe\".",
				"Pending", "Normal", "Problem", "Maria Huber", "maria.huber@acme.example", "Carol Chen", "carol@example.com", "Acme Corp",
				"Billing Support", "bug", "Email", "Invoices", false, at(2024, 3, 13, 10, 10), day(2024, 3, 27)},
			{2052, "Invoice API returns 500 for large exports",
				"GET /invoices?limit=1000 answers 500 after 30 s; smaller pages work.",
				"Open", "High", "Incident", "Peter Gibbons", "peter@initech.example", "Dan Diaz", "dan@example.com", "Initech",
				"Developers", "bug securty", "Slack", "Invoices", true, at(2024, 3, 14, 9, 5), day(2024, 3, 19)},
			{2053, "Question about API rate limits",
				"How many requests per minute may we send to the invoices API? We plan a nightly sync of ~50,000 invoices.",
				"Solved", "Low", "Question", "Hank Scorpio", "hank@globex.example", "Alice Admin", "alice@example.com", "Globex",
				"Developers", "", "Web Widget", "Billing", false, at(2024, 3, 14, 17, 33), day(2024, 4, 5)},
			{2054, "Export to PDF cuts off long customer names",
				"Names longer than 40 characters are cut in the PDF header.",
				"Open", "Normal", "Problem", "Wile E.", "wile@acme.example", "Bob Builder", "bob@example.com", "Acme Corp",
				"Billing Support", "bug customer-reported", "Email", "pdf export", false, at(2024, 3, 15, 8, 45), day(2024, 3, 29)},
			{2055, "Faster sync on Wi-Fi only",
				"Please add a setting to run the full sync on Wi-Fi only.",
				"New", "Low", "Question", "Claire Dubois", "claire@globex.example", "", "", "Globex",
				"Mobile", "feature-request", "Web Widget", "Faster Sync", false, at(2024, 3, 15, 12, 0), ""},
		},
	}
}

// zendeskReadme is the README sheet before the data, as exports that
// explain themselves have: a title, where the data is, how it was made.
var zendeskReadme = [][]string{
	{"Zendesk ticket export (sample)"},
	{""},
	{"Sheet", "Tickets"},
	{"Exported", "2024-03-15 18:00 CET"},
	{"Rows", "one ticket per row; Tags are space-separated, as Zendesk writes them"},
	{"Import", "devrev-import validate samples/zendesk-tickets.xlsx --sheet Tickets --mapping samples/zendesk-tickets.yaml --sandbox"},
}

// writeZendeskXLSX writes the Zendesk sample: a README sheet first, then
// the Tickets sheet with typed cells (numbers, dates, booleans).
func writeZendeskXLSX(path string) (err error) {
	s := zendeskSample()
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", "README"); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	if err := f.SetColWidth("README", "A", "A", 12); err != nil {
		return err
	}
	if err := f.SetColWidth("README", "B", "B", 100); err != nil {
		return err
	}
	for r, line := range zendeskReadme {
		for c, text := range line {
			if text == "" {
				continue
			}
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetCellStr("README", cell, text); err != nil {
				return fmt.Errorf("README %s: %w", cell, err)
			}
		}
	}
	if _, err := f.NewSheet(s.Sheet); err != nil {
		return fmt.Errorf("add sheet: %w", err)
	}
	if err := fillSheet(f, s); err != nil {
		return err
	}
	return saveXLSX(f, path)
}
