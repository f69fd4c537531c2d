//go:build !unix

package main

import "os"

// maxRSS is 0 where the platform gives no rusage: the table shows "n/a".
func maxRSS(*os.ProcessState) int64 { return 0 }
