// Package elfdeps reads what an ELF file needs to run — its class and
// machine, PT_INTERP, DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH — with
// debug/elf and nothing executed, and resolves the shared libraries inside
// an image's file tree to the very files the dynamic loader would map
// (glibc's ld.so, or musl's), without touching the host.
package elfdeps

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on what Parse reads from an untrusted file.
const (
	maxInterp  = 4096
	maxDynamic = 1 << 20
	// maxString bounds one dynamic string (a DT_NEEDED name, a
	// DT_RUNPATH); real ones reach several kilobytes (Nix RUNPATHs).
	maxString = 64 << 10
)

// Info is what an ELF file says about its dynamic loading.
type Info struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	// Interp is the PT_INTERP path, empty for a static or a shared
	// object.
	Interp string
	// Dynamic reports a PT_DYNAMIC segment (a dynamically linked file).
	Dynamic bool
	// Needed are the DT_NEEDED entries in order.
	Needed []string
	// Soname is DT_SONAME.
	Soname string
	// RPath and RunPath are DT_RPATH and DT_RUNPATH split at ':', with
	// their dynamic string tokens still unexpanded.
	RPath, RunPath []string
	// Flags1 is DT_FLAGS_1.
	Flags1 elf.DynFlag1
	// Bad describes the dynamic entries that could not be read (a string
	// without its terminator within maxString, an offset outside the
	// string table); each fails only itself, the rest of the file is
	// used.
	Bad []string
}

// NoDefaultLib reports DF_1_NODEFLIB: the default directories (and the
// cache entries inside them) are not searched for this object's needs.
func (in *Info) NoDefaultLib() bool { return in.Flags1&elf.DF_1_NODEFLIB != 0 }

// ErrNotELF is returned by Parse for a file that does not start with the
// ELF magic number.
var ErrNotELF = errors.New("not an ELF file")

// Parse reads the dynamic-loading facts of the ELF file r, from the
// program headers as the loader does (section headers are not needed, so
// a stripped or sstripped file parses). A malformed file is an error,
// never a panic.
func Parse(r io.ReaderAt) (info *Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("parsing ELF: malformed file (%v)", p)
		}
	}()
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil, ErrNotELF
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("parsing ELF: %w", err)
	}
	info = &Info{Class: f.Class, Data: f.Data, Machine: f.Machine, Type: f.Type}
	var dyn *elf.Prog
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			if p.Filesz > maxInterp {
				return nil, fmt.Errorf("parsing ELF: PT_INTERP of %d bytes", p.Filesz)
			}
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, fmt.Errorf("parsing ELF: reading PT_INTERP: %w", err)
			}
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			info.Interp = string(b)
		case elf.PT_DYNAMIC:
			if dyn == nil {
				dyn = p
			}
		}
	}
	if dyn == nil {
		return info, nil
	}
	info.Dynamic = true
	if err := readDynamic(f, dyn, info); err != nil {
		return nil, err
	}
	return info, nil
}

func readDynamic(f *elf.File, dyn *elf.Prog, info *Info) error {
	if dyn.Filesz > maxDynamic {
		return fmt.Errorf("parsing ELF: PT_DYNAMIC of %d bytes", dyn.Filesz)
	}
	d := make([]byte, dyn.Filesz)
	if _, err := dyn.ReadAt(d, 0); err != nil {
		return fmt.Errorf("parsing ELF: reading PT_DYNAMIC: %w", err)
	}
	entSize := 16
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	type entry struct {
		tag elf.DynTag
		val uint64
	}
	var entries []entry
	var strtab, strsz uint64
	haveStrtab := false
	for len(d) >= entSize {
		var e entry
		if entSize == 16 {
			e = entry{elf.DynTag(f.ByteOrder.Uint64(d[0:8])), f.ByteOrder.Uint64(d[8:16])}
		} else {
			e = entry{elf.DynTag(f.ByteOrder.Uint32(d[0:4])), uint64(f.ByteOrder.Uint32(d[4:8]))}
		}
		d = d[entSize:]
		if e.tag == elf.DT_NULL {
			break
		}
		switch e.tag {
		case elf.DT_STRTAB:
			strtab, haveStrtab = e.val, true
		case elf.DT_STRSZ:
			strsz = e.val
		case elf.DT_FLAGS_1:
			info.Flags1 = elf.DynFlag1(e.val)
		}
		entries = append(entries, e)
	}
	str := func(off uint64) (string, error) {
		if !haveStrtab {
			return "", errors.New("parsing ELF: dynamic section has strings but no DT_STRTAB")
		}
		if off >= strsz {
			return "", fmt.Errorf("parsing ELF: string offset %d outside DT_STRSZ %d", off, strsz)
		}
		return readString(f, strtab+off, min(strsz-off, maxString))
	}
	for _, e := range entries {
		var err error
		var s string
		switch e.tag {
		case elf.DT_NEEDED:
			if s, err = str(e.val); err == nil {
				info.Needed = append(info.Needed, s)
			}
		case elf.DT_SONAME:
			if s, err = str(e.val); err == nil {
				info.Soname = s
			}
		case elf.DT_RPATH:
			if s, err = str(e.val); err == nil {
				info.RPath = splitPath(s)
			}
		case elf.DT_RUNPATH:
			if s, err = str(e.val); err == nil {
				info.RunPath = splitPath(s)
			}
		}
		if err != nil {
			info.Bad = append(info.Bad, fmt.Sprintf("%s: %v", e.tag, strings.TrimPrefix(err.Error(), "parsing ELF: ")))
		}
	}
	return nil
}

func splitPath(s string) []string { return strings.Split(s, ":") }

// readString reads the NUL-terminated string at virtual address addr,
// reading at most limit bytes, through the PT_LOAD segment that maps it.
func readString(f *elf.File, addr, limit uint64) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr-p.Vaddr >= p.Filesz {
			continue
		}
		off := addr - p.Vaddr
		n := min(limit, p.Filesz-off)
		b := make([]byte, n)
		read, err := p.ReadAt(b, int64(off))
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("parsing ELF: reading string at 0x%x: %w", addr, err)
		}
		b = b[:read]
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", fmt.Errorf("parsing ELF: unterminated string at 0x%x", addr)
		}
		return string(b[:i]), nil
	}
	return "", fmt.Errorf("parsing ELF: address 0x%x is in no loaded segment", addr)
}
