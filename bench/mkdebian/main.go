// Command mkdebian prints the path of the two-layer Debian docker archive
// the tests use (an mmdebstrap root plus a layer that deletes
// /usr/share/doc and overwrites /etc/services), building it first when the
// fixture directory does not hold it yet.
package main

import (
	"fmt"
	"log"

	"github.com/whittle-dev/whittle/internal/testfix"
)

type fatal struct{}

func (fatal) Helper()                           {}
func (fatal) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
func (fatal) Skipf(format string, args ...any)  { log.Fatalf(format, args...) }

func main() {
	archive, _, _ := testfix.DebianTwoLayerArchive(fatal{})
	fmt.Println(archive)
}
