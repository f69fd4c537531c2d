package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// column describes one column of a sample sheet: how its cells look in the
// XLSX file and how the same values are spelled in the hand-written CSV.
type column struct {
	Header   string
	Width    float64 // XLSX column width in characters
	Layout   string  // Go layout of the column's dates in the CSV
	NumFmt   string  // XLSX number format of the column's date and number cells
	Percent  bool    // floats are spelled "45%" in the CSV
	Decimals int     // digits after the point of floats in the CSV; 0 = shortest
	Wrap     bool    // multi-line text: wrap it in the XLSX
}

// sample is one work type's sample: samples/<Name>.csv, samples/<Name>.xlsx
// (sheet Sheet) and samples/<Name>.yaml share its header and rows.
//
// Cells are string (text; "" leaves the cell empty), time.Time (a real date
// cell; wall clock, the mapping's timezone applies), float64 and int (number
// cells) or bool (a boolean cell).
type sample struct {
	Name    string
	Sheet   string
	Columns []column
	Rows    [][]any
	// Invalid lists the rows that must fail validation on purpose:
	// spreadsheet row number (header = 1) -> why. samples/README.md
	// shows the same list.
	Invalid map[int]string
}

// at is a wall-clock date-time for the tables below.
func at(year, month, day, hour, minute int) time.Time {
	return time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
}

// day is a date without a time of day.
func day(year, month, d int) time.Time { return at(year, month, d, 0, 0) }

// samples returns the four sample tables. Rows that are invalid on purpose
// are listed in samples/README.md; keep both in step.
func samples() []sample {
	return []sample{ticketSample(), issueSample(), taskSample(), opportunitySample()}
}

func ticketSample() sample {
	const due = "02.01.2006 15:04"
	return sample{
		Name:  "tickets",
		Sheet: "Tickets",
		Invalid: map[int]string{
			7:  "Priority `Critical` is not in the value map (Urgent, High, Normal, Low)",
			9:  "Subject is empty: `title` is required and has no default",
			12: "Assignee `ACC-1` is an account, but `owned_by` needs dev users (DEVU-…)",
		},
		Columns: []column{
			{Header: "Ticket ID", Width: 10},
			{Header: "Subject", Width: 44},
			{Header: "Description", Width: 60, Wrap: true},
			{Header: "Priority", Width: 9},
			{Header: "Product", Width: 12},
			{Header: "Assignee", Width: 16},
			{Header: "Customer", Width: 11},
			{Header: "Channel", Width: 8},
			{Header: "Needs Response", Width: 15},
			{Header: "Tags", Width: 20},
			{Header: "Due", Width: 17, Layout: due, NumFmt: "dd.mm.yyyy hh:mm"},
			{Header: "Points", Width: 7},
			{Header: "Group", Width: 16},
			{Header: "Created", Width: 17, Layout: "2006-01-02 15:04", NumFmt: "yyyy-mm-dd hh:mm"},
		},
		Rows: [][]any{
			{"ZD-1001", "Invoice PDF shows the wrong VAT rate",
				"Hi team,\n\nthe PDF for invoice INV-2024-0042 says \"VAT 19%\", but the customer is in Austria (20%).\nCan you check the rate table, please?\n\nThanks, Maria",
				"High", "PDF Export", "DEVU-2", "Acme Corp", "email", true, "TAG-1;TAG-2", at(2024, 3, 15, 17, 0), 3, "Billing Support", at(2024, 3, 1, 9, 12)},
			{"ZD-1002", "Zahlung über SEPA schlägt fehl",
				"Seit dem Update am Montag schlägt jede SEPA-Lastschrift fehl.\nFehlermeldung: \"Mandat ungültig\", obwohl das Mandat gültig ist.\nBetroffen: ca. 40 Kunden, Tendenz steigend.",
				"Urgent", "Billing", "DEVU-3", "Globex", "email", true, "TAG-1;TAG-3", at(2024, 3, 11, 12, 0), 5, "Billing Support", at(2024, 3, 4, 8, 3)},
			{"ZD-1003", "App crashes on login after update to 4.2",
				"Steps:\n1. Update the app to 4.2 from the store\n2. Log in with SSO\n3. The app closes, no error shown\n\nDevice: Pixel 7, Android 14. Reinstalling doesn't help.",
				"Urgent", "Mobile App", "DEVU-4;DEVU-2", "Initech", "slack", true, "TAG-1;TAG-3;TAG-2", at(2024, 3, 8, 18, 0), 8, "Mobile", at(2024, 3, 5, 14, 47)},
			{"ZD-1004", "請求書のダウンロードができません",
				"お世話になっております。\n管理画面から請求書（PDF）をダウンロードしようとすると、「エラーが発生しました」と表示されます。\nご確認をお願いいたします。",
				"High", "Invoices", "DEVU-3", "Acme Corp", "email", true, "TAG-2", at(2024, 3, 20, 9, 30), 2, "Japan", at(2024, 3, 6, 2, 15)},
			{"ZD-1005", "Feature request: export invoices as CSV",
				"Our accountant would like a CSV export of all invoices, with columns for net, VAT and gross amounts.\nThe PDF export is fine, but \"copy & paste from PDF\" doesn't scale.",
				"Low", "PDF Export", "DEVU-2", "Globex", "plug", false, "TAG-5", at(2024, 4, 30, 17, 0), 5, "Billing Support", at(2024, 3, 6, 10, 0)},
			{"ZD-1006", "Checkout page returns 502 for all EU customers",
				"Since 07:40 CET every checkout in the EU region fails with \"502 Bad Gateway\".\nStatus page is still green.",
				"Critical", "Billing", "DEVU-2;DEVU-4", "Acme Corp", "email", true, "TAG-1", at(2024, 3, 7, 12, 0), 3, "Billing Support", at(2024, 3, 7, 7, 52)},
			{"ZD-1007", "Sync takes minutes on slow networks",
				"On 3G, the first sync after login takes 4-6 minutes.\nThe spinner just says \"Syncing…\", with no progress.",
				"Normal", "Faster Sync", "DEVU-4", "Initech", "slack", false, "TAG-2", at(2024, 3, 22, 16, 0), 3, "Mobile", at(2024, 3, 7, 11, 30)},
			{"ZD-1008", "",
				"(forwarded from the phone line, no subject)\nCustomer says the invoice total is \"off by a few cents\", invoice number unknown.",
				"Normal", "Invoices", "DEVU-3", "Globex", "email", true, "", at(2024, 3, 25, 12, 0), 1, "Billing Support", at(2024, 3, 8, 9, 5)},
			{"ZD-1009", "Password reset e-mail never arrives",
				"Tried three times, checked spam, nothing.\nUser: j.doe@acme.example, region: EU.",
				"High", "Mobile App", "", "Acme Corp", "email", true, "TAG-1;TAG-4", at(2024, 3, 12, 10, 0), 2, "Mobile", at(2024, 3, 8, 15, 20)},
			{"ZD-1010", "Crédit note applied twice on renewal",
				"Renewal of contract C-778: the crédit note of 250,00 € was deducted twice.\nCustomer asks for a corrected invoice, \"as soon as possible\".",
				"Normal", "Billing", "DEVU-2", "Globex", "email", true, "TAG-1", at(2024, 3, 29, 17, 0), 2, "Billing Support", at(2024, 3, 11, 13, 41)},
			{"ZD-1011", "Refund for duplicate charge",
				"We were charged twice for March (2 × 1,200.00 USD). Please refund one of them.",
				"High", "Billing", "ACC-1", "Acme Corp", "email", true, "TAG-2", at(2024, 3, 14, 12, 0), 1, "Billing Support", at(2024, 3, 11, 16, 2)},
			{"ZD-1012", "Dark mode: invoice totals unreadable",
				"Grey text on a dark grey background, see screenshot.",
				"Low", "Mobile App", "DEVU-4", "", "plug", false, "TAG-1", "", "", "Mobile", at(2024, 3, 12, 8, 0)},
			{"ZD-1013", "Suspicious login attempts from a new IP range",
				"Our SOC saw ~300 failed logins on the billing portal from 203.0.113.0/24 overnight.\nAccounts locked: 12. Please confirm the lockout works as \"designed\", and whether data was accessed.",
				"Urgent", "Billing", "DEVU-2;DEVU-3", "Initech", "email", true, "TAG-4", at(2024, 3, 13, 9, 0), 5, "Security", at(2024, 3, 12, 23, 58)},
			{"ZD-1014", "Rechnungsadresse lässt sich nicht ändern",
				"Beim Speichern der neuen Adresse (Königstraße 12, München) kommt \"Ungültige Eingabe\".\nVermutlich das ß oder das ü?",
				"Normal", "Invoices", "DEVU-3", "Acme Corp", "email", false, "TAG-1;TAG-2", at(2024, 3, 27, 12, 0), 2, "Billing Support", at(2024, 3, 13, 10, 10)},
			{"ZD-1015", "Question about API rate limits",
				"How many requests per minute may we send to the invoices API?\nWe plan a nightly sync of ~50,000 invoices.",
				"Low", "Billing", "DEVU-1", "Globex", "slack", false, "", at(2024, 4, 5, 12, 0), "", "Developers", at(2024, 3, 14, 17, 33)},
		},
	}
}

func issueSample() sample {
	const date = "01/02/2006"
	return sample{
		Name:  "issues",
		Sheet: "Issues",
		Invalid: map[int]string{
			8:  "Priority `Blocker` is not in the value map (Highest, High, Medium, Low)",
			11: "Due `13/45/2024` is not a date in the layout `01/02/2006` (a text cell in the XLSX)",
			13: "Story Points `three` is not an integer (`as: int`)",
		},
		Columns: []column{
			{Header: "Issue Key", Width: 10},
			{Header: "Summary", Width: 44},
			{Header: "Description", Width: 60, Wrap: true},
			{Header: "Priority", Width: 9},
			{Header: "Component", Width: 12},
			{Header: "Assignee", Width: 16},
			{Header: "Reporter", Width: 10},
			{Header: "Labels", Width: 16},
			{Header: "Start", Width: 11, Layout: date, NumFmt: "mm/dd/yyyy"},
			{Header: "Due", Width: 11, Layout: date, NumFmt: "mm/dd/yyyy"},
			{Header: "Story Points", Width: 12},
			{Header: "Customer Impact", Width: 15},
			{Header: "Status", Width: 12},
		},
		Rows: [][]any{
			{"JRA-101", "VAT rate table is outdated for Austria",
				"The rate table in billing/vat.go still has 19% for AT.\nSee ZD-1001. Fix the table and add a test \"AT standard rate\".",
				"High", "Billing", "DEVU-2", "DEVU-3", "TAG-1, TAG-2", day(2024, 3, 11), day(2024, 3, 15), 3, true, "In Progress"},
			{"JRA-102", "SEPA mandate validation rejects valid mandates",
				"Since v2024.10 the mandate ID check uses the wrong regex:\n  ^[A-Z0-9]{1,35}$\nMandate IDs may contain \"+\", \"?\", \"/\", \"-\", \":\", \"(\", \")\", \".\", \",\", \"'\" and spaces.",
				"Highest", "Billing", "DEVU-3", "DEVU-2", "TAG-1, TAG-3", day(2024, 3, 5), day(2024, 3, 8), 5, true, "In Progress"},
			{"JRA-103", "Crash on SSO login (Android 14)",
				"Stack trace:\n  java.lang.IllegalStateException: token == null\n    at AuthFlow.finish(AuthFlow.kt:88)\nHappens only when the SSO provider returns an empty \"state\" param.",
				"Highest", "Mobile App", "DEVU-4", "DEVU-4", "TAG-1, TAG-3", day(2024, 3, 6), day(2024, 3, 9), 8, true, "To Do"},
			{"JRA-104", "Invoice download fails for Japanese file names",
				"File name 請求書_2024年3月.pdf breaks the Content-Disposition header.\nUse RFC 5987 encoding (filename*=UTF-8''…).",
				"High", "Invoices", "DEVU-3", "DEVU-1", "TAG-1", day(2024, 3, 12), day(2024, 3, 19), 2, true, "To Do"},
			{"JRA-105", "CSV export of invoices",
				"New endpoint /invoices/export?format=csv.\nColumns: number, date, net, vat, gross, currency.",
				"Medium", "PDF Export", "DEVU-2", "DEVU-1", "TAG-5", day(2024, 4, 1), day(2024, 4, 26), 8, false, "Backlog"},
			{"JRA-106", "Incremental sync for large accounts",
				"Only fetch changed records since the last sync token.\nTarget: first sync < 30 s on 3G, \"resume\" after a dropped connection.",
				"Medium", "Faster Sync", "DEVU-4;DEVU-2", "DEVU-3", "TAG-5, TAG-2", day(2024, 3, 18), day(2024, 4, 12), 13, true, "Backlog"},
			{"JRA-107", "Duplicate credit note on renewal",
				"RenewalJob applies open credit notes twice when the renewal is retried.\nMake the job idempotent (key: contract ID + period).",
				"Blocker", "Billing", "DEVU-2", "DEVU-3", "TAG-1, TAG-3", day(2024, 3, 12), day(2024, 3, 22), 3, true, "To Do"},
			{"JRA-108", "Address form rejects ß and umlauts",
				"Validation uses [A-Za-z0-9 ,.-]+ — Königstraße fails.\nAllow any letter (\\p{L}).",
				"Medium", "Invoices", "DEVU-3", "DEVU-1", "TAG-1, TAG-2", day(2024, 3, 14), day(2024, 3, 28), 2, true, "In Review"},
			{"JRA-109", "Rate-limit the login endpoint per IP range",
				"After the incident of March 12: lock out /24 ranges after 50 failures in 10 minutes.\nLog the lockout, don't \"silently\" drop requests.",
				"Highest", "Billing", "DEVU-2;DEVU-3", "DEVU-2", "TAG-4", day(2024, 3, 13), day(2024, 3, 20), 5, true, "In Progress"},
			{"JRA-110", "Dark mode contrast on invoice totals",
				"Use the theme's onSurface color for totals.",
				"Low", "Mobile App", "DEVU-4", "DEVU-4", "TAG-1", day(2024, 3, 25), "13/45/2024", 1, false, "Backlog"},
			{"JRA-111", "Document API rate limits",
				"Add a \"Rate limits\" page to the developer docs, with the headers we send and an example back-off loop.",
				"Low", "Billing", "DEVU-1", "DEVU-1", "", "", day(2024, 4, 19), 2, false, "Backlog"},
			{"JRA-112", "Flaky test: TestInvoiceRounding",
				"Fails about 1 in 50 runs on CI:\n  want 10.01, got 10.00\nProbably float math; use decimal.",
				"Medium", "Invoices", "DEVU-2", "DEVU-3", "TAG-1, TAG-3", day(2024, 3, 15), day(2024, 3, 22), "three", false, "To Do"},
			{"JRA-113", "Offline mode for the invoice list",
				"Cache the last 100 invoices on the device, read-only.",
				"Low", "Faster Sync", "", "DEVU-4", "TAG-5", day(2024, 4, 8), day(2024, 5, 3), 8, false, "Backlog"},
			{"JRA-114", "Support café/restaurant tax category (7%)",
				"Reduced VAT for on-site food in some regions.\nNeeds a new tax category \"reduced_food\", shown as « Restauration » in French invoices.",
				"Medium", "Billing", "DEVU-3", "DEVU-2", "TAG-5", day(2024, 4, 2), day(2024, 4, 19), 5, true, "Backlog"},
			{"JRA-115", "PDF export: embed fonts for CJK",
				"Japanese and Chinese text renders as boxes (□□□) in the exported PDF. Embed Noto Sans CJK, subset it.",
				"High", "PDF Export", "DEVU-4", "DEVU-3", "TAG-1, TAG-2", day(2024, 3, 18), day(2024, 3, 29), 3, true, "To Do"},
			{"JRA-116", "Upgrade the PDF library",
				"Current version has a known CVE in its XML parser.",
				"High", "PDF Export", "DEVU-2", "DEVU-2", "TAG-4", day(2024, 3, 18), day(2024, 3, 22), 2, false, "Done"},
		},
	}
}

func taskSample() sample {
	const date = "2 Jan 2006"
	return sample{
		Name:  "tasks",
		Sheet: "Tasks",
		Invalid: map[int]string{
			7: "Owner `REVU-1` is a contact (rev user), but `owned_by` needs dev users (DEVU-…)",
			9: "Project `Marketing Site` is not in the value map",
		},
		Columns: []column{
			{Header: "Task ID", Width: 9},
			{Header: "Task", Width: 40},
			{Header: "Notes", Width: 55, Wrap: true},
			{Header: "Priority", Width: 9},
			{Header: "Project", Width: 14},
			{Header: "Owner", Width: 14},
			{Header: "Start", Width: 12, Layout: date, NumFmt: "d mmm yyyy"},
			{Header: "Due", Width: 12, Layout: date, NumFmt: "d mmm yyyy"},
			{Header: "Points", Width: 7},
			{Header: "Tags", Width: 14},
			{Header: "Section", Width: 12},
		},
		Rows: [][]any{
			{"T-3001", "Write release notes for 4.2.1",
				"Mention the SSO crash fix and the \"Syncing…\" spinner change.\nKeep it under 500 characters for the store.",
				"High", "Mobile App", "DEVU-4", day(2024, 3, 11), day(2024, 3, 12), 1, "", "This week"},
			{"T-3002", "Update the AT VAT rate in staging",
				"Run the migration, then check three sample invoices:\nINV-0042, INV-0043, INV-0051.",
				"Urgent", "Billing", "DEVU-2", day(2024, 3, 11), day(2024, 3, 11), 1, "TAG-1", "This week"},
			{"T-3003", "Call Globex about the SEPA incident",
				"Explain root cause, timeline and the fix.\nAsk whether they want a credit for the failed \"Lastschriften\".",
				"High", "Billing", "DEVU-1", day(2024, 3, 12), day(2024, 3, 12), "", "TAG-2", "This week"},
			{"T-3004", "翻訳レビュー: 請求書テンプレート",
				"日本語の請求書テンプレートの翻訳を確認する。\n特に「消費税」と「合計」の表記。",
				"Medium", "Invoices", "DEVU-3", day(2024, 3, 13), day(2024, 3, 20), 2, "", "Next week"},
			{"T-3005", "Prepare the Q2 roadmap slides",
				"Sections: billing, mobile, sync.\nUse the new template (\"Roadmap 2024\", slide 3 onwards).",
				"Medium", "Billing", "DEVU-1;DEVU-2", day(2024, 3, 18), day(2024, 3, 22), 3, "", "Next week"},
			{"T-3006", "Rotate the SMTP credentials",
				"Old password was shared in a ticket by mistake. Rotate, then update the vault entry.",
				"Urgent", "Billing", "REVU-1", day(2024, 3, 11), day(2024, 3, 11), 1, "TAG-4", "This week"},
			{"T-3007", "Benchmark sync on a throttled network",
				"Use tc to simulate 3G (750 kbit/s, 100 ms RTT).\nRecord first-sync time, before and after, in the wiki.",
				"Medium", "Faster Sync", "DEVU-4", day(2024, 3, 14), day(2024, 3, 19), 3, "TAG-2", "Next week"},
			{"T-3008", "Redesign the marketing landing page",
				"New hero image, new pricing table.",
				"Low", "Marketing Site", "DEVU-3", day(2024, 4, 1), day(2024, 4, 15), 5, "", "Later"},
			{"T-3009", "Add CJK fonts to the PDF build image",
				"apt-get install fonts-noto-cjk; check the image size stays under 1 GB.",
				"High", "PDF Export", "DEVU-2", day(2024, 3, 18), day(2024, 3, 19), 2, "TAG-1", "Next week"},
			{"T-3010", "Schedule the security review",
				"Invite: security team, billing leads.\nAgenda: lockout policy, rate limits, \"least privilege\" for support tools.",
				"High", "Billing", "DEVU-2", day(2024, 3, 15), day(2024, 3, 15), "", "TAG-4", "This week"},
			{"T-3011", "Clean up feature flags older than 6 months",
				"List in flags.yaml; remove dead code paths, one PR per flag.",
				"Low", "Mobile App", "DEVU-4", day(2024, 4, 2), day(2024, 4, 30), 5, "", "Later"},
			{"T-3012", "Onboard Dan to the invoices service",
				"Pairing sessions Tue/Thu, 10:00-11:30.\nFirst task: JRA-112 (flaky rounding test).",
				"Medium", "Invoices", "DEVU-3;DEVU-4", day(2024, 3, 19), day(2024, 3, 28), 2, "", "Next week"},
			{"T-3013", "Renew the code-signing certificate",
				"Expires on 2024-04-10. Order, install on the build machine, test a signed build.",
				"High", "Mobile App", "DEVU-1", day(2024, 3, 25), day(2024, 4, 5), 1, "TAG-4", "Later"},
			{"T-3014", "Résumé of customer interviews",
				"Summarise the 8 interviews (München, Lyon, Osaka) in one page.\nFocus: export formats, offline use.",
				"Low", "Faster Sync", "DEVU-2", day(2024, 3, 20), day(2024, 4, 3), 2, "TAG-5", "Later"},
		},
	}
}

func opportunitySample() sample {
	const date = "Jan 2, 2006"
	return sample{
		Name:  "opportunities",
		Sheet: "Opportunities",
		Invalid: map[int]string{
			6:  "Probability `120%` (1.2 in the XLSX) is above 1",
			9:  "Deal Value `32000.00 US$`: `US$` is not an ISO 4217 currency code",
			10: "Account `Umbrella Corp` is not in the value map (and `account` is required for opportunities)",
		},
		Columns: []column{
			{Header: "Opportunity ID", Width: 14},
			{Header: "Opportunity Name", Width: 40},
			{Header: "Description", Width: 55, Wrap: true},
			{Header: "Account", Width: 14},
			{Header: "Owner", Width: 10},
			{Header: "Amount", Width: 12, NumFmt: "#,##0.00", Decimals: 2},
			{Header: "Probability", Width: 11, NumFmt: "0%", Percent: true},
			{Header: "Forecast", Width: 11},
			{Header: "Deal Value", Width: 16},
			{Header: "Customer Budget", Width: 15, NumFmt: "#,##0.00", Decimals: 2},
			{Header: "Contacts", Width: 14},
			{Header: "Close Date", Width: 13, Layout: date, NumFmt: "mmm d, yyyy"},
			{Header: "Priority", Width: 9},
			{Header: "Product", Width: 12},
			{Header: "Stage", Width: 14},
		},
		Rows: [][]any{
			{"SF-0001", "Acme Corp – Billing renewal 2024",
				"Renewal of the 3-year billing contract.\nCustomer asked for \"the same terms, plus SSO\".",
				"Acme Corp", "DEVU-2", 12500.50, 0.45, "Pipeline", "12500.50 USD", 15000.0, "REVU-1", day(2024, 6, 28), "High", "Billing", "Negotiation"},
			{"SF-0002", "Globex – Mobile App rollout (1,200 seats)",
				"Pilot with 50 users went well.\nNext: rollout to field sales, 1,200 seats, in two waves.",
				"Globex", "DEVU-3", 86400.0, 0.7, "Commit", "86400.00 USD", 90000.0, "REVU-2", day(2024, 5, 31), "Urgent", "Mobile App", "Proposal"},
			{"SF-0003", "Initech – Invoices add-on",
				"Interested in the invoices capability after the demo on March 4.",
				"Initech", "DEVU-4", 9800.0, 0.25, "Upside", "9800.00 EUR", "", "", day(2024, 7, 15), "Normal", "Invoices", "Discovery"},
			{"SF-0004", "Acme Corp – PDF export for the EU subsidiaries",
				"Needs PDF/A-3 and ZUGFeRD; legal asked: \"is the archive format accepted in Austria?\"",
				"Acme Corp", "DEVU-2", 24000.0, 0.6, "Best Case", "24000.00 EUR", 30000.0, "REVU-1", day(2024, 6, 14), "High", "PDF Export", "Proposal"},
			{"SF-0005", "Globex – Faster Sync early access",
				"Early access for the incremental sync (JRA-106).",
				"Globex", "DEVU-4", 4500.0, 1.2, "Pipeline", "4500.00 USD", "", "REVU-2", day(2024, 8, 30), "Low", "Faster Sync", "Discovery"},
			{"SF-0006", "Initech 日本法人 – 請求書モジュール",
				"日本法人向けの請求書モジュール。\n消費税対応（インボイス制度）が必須。",
				"Initech", "DEVU-3", 1500000.0, 0.5, "Pipeline", "1500000 JPY", 1800000.0, "", day(2024, 9, 30), "Normal", "Invoices", "Qualification"},
			{"SF-0007", "Acme Corp – Security add-on",
				"After the March incident, Acme's CISO wants audit logs and IP allow-lists.",
				"Acme Corp", "DEVU-1;DEVU-2", 18000.0, 0.8, "Commit", "18000.00 USD", 20000.0, "REVU-1", day(2024, 4, 30), "Urgent", "Billing", "Negotiation"},
			{"SF-0008", "Globex – Multi-currency billing",
				"Wants invoices in USD, EUR and GBP from one account.",
				"Globex", "DEVU-2", 32000.0, 0.35, "Upside", "32000.00 US$", 35000.0, "REVU-2", day(2024, 7, 31), "High", "Billing", "Discovery"},
			{"SF-0009", "Umbrella Corp – Mobile pilot",
				"Inbound lead from the trade fair in Köln; not in the CRM yet.",
				"Umbrella Corp", "DEVU-4", 7500.0, 0.1, "Pipeline", "7500.00 USD", "", "", day(2024, 10, 15), "Low", "Mobile App", "Prospecting"},
			{"SF-0010", "Initech – Billing platform migration",
				"Replace the in-house billing system.\nScope: 40k invoices/month, \"go-live before year end\".",
				"Initech", "DEVU-2;DEVU-3", 145000.0, 0.55, "Best Case", "145000.00 USD", 160000.0, "", day(2024, 11, 29), "Urgent", "Billing", "Proposal"},
			{"SF-0011", "Acme Corp – Training package",
				"Two on-site workshops (München, Zürich), 12 people each.",
				"Acme Corp", "DEVU-1", 6000.0, 0.9, "Commit", "6000.00 CHF", 6000.0, "REVU-1", day(2024, 4, 19), "Normal", "Billing", "Contract Sent"},
			{"SF-0012", "Globex – Renewal 2023 (closed)",
				"Signed on Feb 29; kept here for the forecast history.",
				"Globex", "DEVU-3", 52000.0, 1.0, "Closed Won", "52000.00 USD", 52000.0, "REVU-2", day(2024, 2, 29), "Normal", "Mobile App", "Closed Won"},
			{"SF-0013", "Initech – Invoices API access",
				"Their developers want API access for a nightly sync of ~50,000 invoices.",
				"Initech", "DEVU-4", 3600.0, 0.3, "Omitted", "3600.00 USD", "", "", day(2024, 8, 15), "Low", "Invoices", "Discovery"},
		},
	}
}

// writeSamples rewrites <dir>/<name>.xlsx for every sample. The output is
// deterministic: the same tables give the same bytes.
func writeSamples(dir string) ([]string, error) {
	var written []string
	for _, s := range samples() {
		path := filepath.Join(dir, s.Name+".xlsx")
		if err := writeSampleXLSX(path, s); err != nil {
			return written, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// writeSampleXLSX writes one sample as a workbook with a single sheet: a
// bold, frozen header row and typed cells (dates with a date number format,
// numbers, booleans, text).
func writeSampleXLSX(path string, s sample) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", s.Sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	if err := fillSheet(f, s); err != nil {
		return err
	}
	return saveXLSX(f, path)
}

// fillSheet writes a sample's header and rows into its sheet, which must
// exist: a bold, frozen header row and typed cells.
func fillSheet(f *excelize.File, s sample) error {
	headerStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("header style: %w", err)
	}
	styles := make([]int, len(s.Columns))
	for i, c := range s.Columns {
		name, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(s.Sheet, name, name, c.Width); err != nil {
			return fmt.Errorf("width of %s: %w", c.Header, err)
		}
		if styles[i], err = columnStyle(f, c); err != nil {
			return fmt.Errorf("style of %s: %w", c.Header, err)
		}
		cell, err := excelize.CoordinatesToCellName(i+1, 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(s.Sheet, cell, c.Header); err != nil {
			return fmt.Errorf("header %s: %w", c.Header, err)
		}
		if err := f.SetCellStyle(s.Sheet, cell, cell, headerStyle); err != nil {
			return fmt.Errorf("header style %s: %w", c.Header, err)
		}
	}
	for r, row := range s.Rows {
		if len(row) != len(s.Columns) {
			return fmt.Errorf("row %d has %d cells, header has %d", r+2, len(row), len(s.Columns))
		}
		for i, v := range row {
			if err := setSampleCell(f, s.Sheet, i+1, r+2, v, styles[i]); err != nil {
				return fmt.Errorf("row %d column %q: %w", r+2, s.Columns[i].Header, err)
			}
		}
	}
	if err := f.SetPanes(s.Sheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	return nil
}

// saveXLSX writes the workbook to path with mode 0644 (excelize's SaveAs
// would make the file executable). The zip goes straight to the file
// through SetZipWriter: excelize would otherwise build the whole archive in
// a bytes.Buffer first, so memory would grow with the file at save time.
// (excelize only patches zip64 local headers in that buffer, for sheets over
// 4 GiB uncompressed, several million rows; archive/zip still writes the
// zip64 records.)
func saveXLSX(f *excelize.File, path string) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(bw) })
	if _, err := f.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return bw.Flush()
}

// columnStyle creates the cell style of a column's data cells (0: none).
func columnStyle(f *excelize.File, c column) (int, error) {
	if c.NumFmt == "" && !c.Wrap {
		return 0, nil
	}
	st := &excelize.Style{}
	if c.NumFmt != "" {
		numFmt := c.NumFmt
		st.CustomNumFmt = &numFmt
	}
	if c.Wrap {
		st.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	}
	return f.NewStyle(st)
}

// setSampleCell writes one typed cell; an empty string leaves it empty.
func setSampleCell(f *excelize.File, sheet string, col, row int, v any, style int) error {
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
		err = f.SetCellStr(sheet, cell, v)
	case time.Time:
		err = f.SetCellValue(sheet, cell, v)
	case float64:
		err = f.SetCellFloat(sheet, cell, v, -1, 64)
	case int:
		err = f.SetCellInt(sheet, cell, int64(v))
	case bool:
		err = f.SetCellBool(sheet, cell, v)
	default:
		return fmt.Errorf("unsupported cell value %T", v)
	}
	if err != nil {
		return err
	}
	if style != 0 {
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	return nil
}

// csvText is how a table cell is spelled in the hand-written CSV of its
// sample: dates in the column's layout, booleans as yes/no, percentages
// as "45%". The test compares the CSVs against it.
func csvText(c column, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case time.Time:
		if c.Layout == "" {
			return "", fmt.Errorf("column %q has a date but no layout", c.Header)
		}
		return v.Format(c.Layout), nil
	case float64:
		if c.Percent {
			return strconv.FormatFloat(math.Round(v*10000)/100, 'f', -1, 64) + "%", nil
		}
		if c.Decimals > 0 {
			return strconv.FormatFloat(v, 'f', c.Decimals, 64), nil
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	case bool:
		if v {
			return "yes", nil
		}
		return "no", nil
	}
	return "", fmt.Errorf("unsupported cell value %T", v)
}
