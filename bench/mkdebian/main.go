// Command mkdebian prints the path of the two-layer Debian docker archive
// the tests use (-gzip: the same with gzip layers) (an mmdebstrap root plus a layer that deletes
// /usr/share/doc and overwrites /etc/services), or with -rootfs the root
// file system tarball itself, building it first when the fixture
// directory does not hold it yet.
package main

import (
	"flag"
	"fmt"
	"log"

	"github.com/whittle-dev/whittle/internal/testfix"
)

type fatal struct{}

func (fatal) Helper()                           {}
func (fatal) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
func (fatal) Skipf(format string, args ...any)  { log.Fatalf(format, args...) }

func main() {
	gz := flag.Bool("gzip", false, "both layers gzip-compressed (as registries serve them)")
	rootfs := flag.Bool("rootfs", false, "the root file system tarball instead")
	flag.Parse()
	if *rootfs {
		fmt.Println(testfix.DebianRootfsTar(fatal{}))
		return
	}
	if *gz {
		fmt.Println(testfix.DebianTwoLayerArchiveGzip(fatal{}))
		return
	}
	archive, _, _ := testfix.DebianTwoLayerArchive(fatal{})
	fmt.Println(archive)
}
