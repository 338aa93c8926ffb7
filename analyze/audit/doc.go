// Package audit judges an indexed image: the size report (layers, largest
// directories and files, wasted bytes grouped by the operation that hid
// them, duplicates, dive's efficiency beside whittle's), the image config
// checks, and the CI rules evaluated against the report (whittle's keys and
// dive's .dive-ci). It renders the report as terminal-safe text and as the
// versioned JSON document of docs/audit-json.md.
//
// It does not open or read images (it takes an analyze.Index), does not
// compute closures, and writes only to the io.Writer it is given.
package audit
