package demo

import (
	"encoding/binary"
	"strings"
)

// elfSpec describes a small ELF64 x86-64 little-endian file: enough of a
// dynamically linked executable or shared library for a reader (Go's
// debug/elf, readelf, Nix's reference scanner) to find its interpreter,
// the libraries it needs, where it looks for them and its soname. The
// code is filler; the file is never run.
type elfSpec struct {
	// Interp is the program interpreter (PT_INTERP) of an executable;
	// empty for a shared library.
	Interp string
	// Needed are the DT_NEEDED entries, in order.
	Needed []string
	// Runpath is the DT_RUNPATH string (colon-separated); empty for none.
	Runpath string
	// Soname is DT_SONAME; empty for none.
	Soname string
	// Exports are defined function symbols; Imports undefined ones.
	Exports, Imports []string
	// Rodata are strings the code uses (paths compiled in), stored
	// NUL-terminated in .rodata.
	Rodata []string
	// Size is the file's size; rounded up to 8, and raised to the
	// smallest size the headers allow.
	Size int
	// Key seeds the filler of .text.
	Key string
}

// ELF constants used here (see <elf.h>).
const (
	elfHeaderSize  = 64
	elfPhdrSize    = 56
	elfShdrSize    = 64
	elfSymSize     = 24
	elfDynSize     = 16
	elfPage        = 4096
	etDyn          = 3
	emX86_64       = 62
	ptLoad         = 1
	ptDynamic      = 2
	ptInterp       = 3
	ptPhdr         = 6
	ptGNUStack     = 0x6474e551
	pfX            = 1
	pfW            = 2
	pfR            = 4
	shtProgbits    = 1
	shtStrtab      = 3
	shtDynamic     = 6
	shtDynsym      = 11
	shfWrite       = 1
	shfAlloc       = 2
	shfExec        = 4
	dtNull         = 0
	dtNeeded       = 1
	dtStrtab       = 5
	dtSymtab       = 6
	dtStrsz        = 10
	dtSyment       = 11
	dtSoname       = 14
	dtRunpath      = 29
	dtFlags1       = 0x6ffffffb
	df1PIE         = 0x08000000
	stbGlobal      = 1
	sttFunc        = 2
	elfTextSymSize = 16
)

// strtab builds a string table: offset 0 is the empty string.
type strtab struct {
	b   []byte
	off map[string]uint32
}

func newStrtab() *strtab { return &strtab{b: []byte{0}, off: map[string]uint32{"": 0}} }

func (t *strtab) add(s string) uint32 {
	if o, ok := t.off[s]; ok {
		return o
	}
	o := uint32(len(t.b))
	t.b = append(append(t.b, s...), 0)
	t.off[s] = o
	return o
}

type elfSection struct {
	name         string
	typ          uint32
	flags        uint64
	off, size    uint64
	link, info   uint32
	align, entsz uint64
	data         []byte
}

type elfProg struct {
	typ, flags uint32
	off, size  uint64
	align      uint64
}

func align(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// bytes lays the file out: headers, .interp, .dynsym, .dynstr, .rodata
// and .dynamic in a read-only segment (virtual addresses equal file
// offsets, as in a position-independent file), .text on the next page in
// an executable segment, then .shstrtab and the section headers.
func (s elfSpec) bytes() []byte {
	le := binary.LittleEndian
	exe := s.Interp != ""

	dynstr := newStrtab()
	var dyn [][2]uint64
	for _, n := range s.Needed {
		dyn = append(dyn, [2]uint64{dtNeeded, uint64(dynstr.add(n))})
	}
	if s.Soname != "" {
		dyn = append(dyn, [2]uint64{dtSoname, uint64(dynstr.add(s.Soname))})
	}
	if s.Runpath != "" {
		dyn = append(dyn, [2]uint64{dtRunpath, uint64(dynstr.add(s.Runpath))})
	}
	type sym struct {
		name    uint32
		defined bool
	}
	syms := []sym{{}}
	for _, n := range s.Imports {
		syms = append(syms, sym{dynstr.add(n), false})
	}
	for _, n := range s.Exports {
		syms = append(syms, sym{dynstr.add(n), true})
	}
	var rodata []byte
	for _, r := range s.Rodata {
		rodata = append(append(rodata, r...), 0)
	}

	nprog := 4 // LOAD, LOAD, DYNAMIC, GNU_STACK
	if exe {
		nprog += 2 // PHDR, INTERP
	}
	pos := uint64(elfHeaderSize + nprog*elfPhdrSize)
	var secs []*elfSection
	addSec := func(sec *elfSection) *elfSection {
		pos = align(pos, sec.align)
		sec.off = pos
		pos += sec.size
		secs = append(secs, sec)
		return sec
	}
	var interp *elfSection
	if exe {
		interp = addSec(&elfSection{name: ".interp", typ: shtProgbits, flags: shfAlloc, size: uint64(len(s.Interp) + 1), align: 1,
			data: append([]byte(s.Interp), 0)})
	}
	dynsym := addSec(&elfSection{name: ".dynsym", typ: shtDynsym, flags: shfAlloc, size: uint64(len(syms) * elfSymSize), align: 8, entsz: elfSymSize, info: 1})
	dstr := addSec(&elfSection{name: ".dynstr", typ: shtStrtab, flags: shfAlloc, size: uint64(len(dynstr.b)), align: 1, data: dynstr.b})
	if len(rodata) > 0 {
		addSec(&elfSection{name: ".rodata", typ: shtProgbits, flags: shfAlloc, size: uint64(len(rodata)), align: 16, data: rodata})
	}
	dyn = append(dyn, [2]uint64{dtStrtab, dstr.off}, [2]uint64{dtSymtab, dynsym.off},
		[2]uint64{dtStrsz, uint64(len(dynstr.b))}, [2]uint64{dtSyment, elfSymSize})
	if exe {
		dyn = append(dyn, [2]uint64{dtFlags1, df1PIE})
	}
	dyn = append(dyn, [2]uint64{dtNull, 0})
	dynamic := addSec(&elfSection{name: ".dynamic", typ: shtDynamic, flags: shfAlloc | shfWrite, size: uint64(len(dyn) * elfDynSize), align: 8, entsz: elfDynSize})
	roEnd := pos

	shstr := newStrtab()
	for _, sec := range secs {
		shstr.add(sec.name)
	}
	shstr.add(".text")
	shstr.add(".shstrtab")
	nsec := uint64(len(secs) + 3) // and null, .text, .shstrtab
	textOff := align(roEnd, elfPage)
	tail := uint64(len(shstr.b)) + nsec*elfShdrSize + 8
	size := align(uint64(max(s.Size, 0)), 8)
	if size < textOff+elfTextSymSize*uint64(len(s.Exports)+1)+tail {
		size = align(textOff+elfTextSymSize*uint64(len(s.Exports)+1)+tail, 8)
	}
	shoff := size - nsec*elfShdrSize
	shstrOff := shoff - uint64(len(shstr.b))
	shstrOff &^= 7 // keep .shstrtab's start aligned; the gap is zero
	textSize := shstrOff - textOff
	text := &elfSection{name: ".text", typ: shtProgbits, flags: shfAlloc | shfExec, off: textOff, size: textSize, align: 16,
		data: machineCode(s.Key, int(textSize))}
	shstrSec := &elfSection{name: ".shstrtab", typ: shtStrtab, off: shstrOff, size: uint64(len(shstr.b)), align: 1, data: shstr.b}
	secs = append(secs, text, shstrSec)
	// Section indexes count the null section first.
	textIdx := uint16(indexOf(secs, text) + 1)
	dynsym.link = uint32(indexOf(secs, dstr) + 1)
	dynamic.link = dynsym.link

	out := make([]byte, size)
	// ELF header.
	copy(out, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	le.PutUint16(out[16:], etDyn)
	le.PutUint16(out[18:], emX86_64)
	le.PutUint32(out[20:], 1)
	if exe {
		le.PutUint64(out[24:], textOff) // e_entry
	}
	le.PutUint64(out[32:], elfHeaderSize)
	le.PutUint64(out[40:], shoff)
	le.PutUint16(out[52:], elfHeaderSize)
	le.PutUint16(out[54:], elfPhdrSize)
	le.PutUint16(out[56:], uint16(nprog))
	le.PutUint16(out[58:], elfShdrSize)
	le.PutUint16(out[60:], uint16(nsec))
	le.PutUint16(out[62:], uint16(indexOf(secs, shstrSec)+1))

	// Program headers.
	var progs []elfProg
	if exe {
		progs = append(progs,
			elfProg{typ: ptPhdr, flags: pfR, off: elfHeaderSize, size: uint64(nprog * elfPhdrSize), align: 8},
			elfProg{typ: ptInterp, flags: pfR, off: interp.off, size: interp.size, align: 1})
	}
	progs = append(progs,
		elfProg{typ: ptLoad, flags: pfR | pfW, off: 0, size: roEnd, align: elfPage},
		elfProg{typ: ptLoad, flags: pfR | pfX, off: textOff, size: textSize, align: elfPage},
		elfProg{typ: ptDynamic, flags: pfR | pfW, off: dynamic.off, size: dynamic.size, align: 8},
		elfProg{typ: ptGNUStack, flags: pfR | pfW, align: 16})
	for i, p := range progs {
		b := out[elfHeaderSize+i*elfPhdrSize:]
		le.PutUint32(b[0:], p.typ)
		le.PutUint32(b[4:], p.flags)
		le.PutUint64(b[8:], p.off)   // p_offset
		le.PutUint64(b[16:], p.off)  // p_vaddr
		le.PutUint64(b[24:], p.off)  // p_paddr
		le.PutUint64(b[32:], p.size) // p_filesz
		le.PutUint64(b[40:], p.size) // p_memsz
		le.PutUint64(b[48:], p.align)
	}

	// Section contents.
	for _, sec := range secs {
		copy(out[sec.off:], sec.data)
	}
	for i, sy := range syms {
		b := out[dynsym.off+uint64(i*elfSymSize):]
		if i == 0 {
			continue
		}
		le.PutUint32(b[0:], sy.name)
		b[4] = stbGlobal<<4 | sttFunc
		if sy.defined {
			k := uint64(i - 1 - len(s.Imports))
			le.PutUint16(b[6:], textIdx)
			le.PutUint64(b[8:], text.off+k*elfTextSymSize)
			le.PutUint64(b[16:], elfTextSymSize)
		}
	}
	for i, d := range dyn {
		le.PutUint64(out[dynamic.off+uint64(i*elfDynSize):], d[0])
		le.PutUint64(out[dynamic.off+uint64(i*elfDynSize)+8:], d[1])
	}

	// Section headers; index 0 is the null section.
	for i, sec := range secs {
		b := out[shoff+uint64(i+1)*elfShdrSize:]
		le.PutUint32(b[0:], shstr.add(sec.name))
		le.PutUint32(b[4:], sec.typ)
		le.PutUint64(b[8:], sec.flags)
		if sec.flags&shfAlloc != 0 {
			le.PutUint64(b[16:], sec.off)
		}
		le.PutUint64(b[24:], sec.off)
		le.PutUint64(b[32:], sec.size)
		le.PutUint32(b[40:], sec.link)
		le.PutUint32(b[44:], sec.info)
		le.PutUint64(b[48:], sec.align)
		le.PutUint64(b[56:], sec.entsz)
	}
	return out
}

func indexOf(secs []*elfSection, sec *elfSection) int {
	for i, s := range secs {
		if s == sec {
			return i
		}
	}
	return -1
}

// runpath joins store paths' lib directories into a DT_RUNPATH value.
func runpath(dirs ...string) string { return strings.Join(dirs, ":") }

// ELFSpec describes a synthetic ELF file for tests elsewhere (see elfSpec
// for the fields' meaning).
type ELFSpec struct {
	Interp, Runpath, Soname string
	Needed, Exports         []string
	Imports, Rodata         []string
	Size                    int
}

// ELF returns the bytes of a synthetic x86-64 ELF file as the demo
// writes them: real headers, dynamic section and symbols around filler.
func ELF(s ELFSpec) []byte {
	return elfSpec{Interp: s.Interp, Needed: s.Needed, Runpath: s.Runpath, Soname: s.Soname,
		Exports: s.Exports, Imports: s.Imports, Rodata: s.Rodata, Size: s.Size, Key: s.Soname + s.Interp}.bytes()
}
