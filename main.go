// Command devrev-import bulk-imports CSV and XLSX rows into DevRev as works.
package main

func main() {}
