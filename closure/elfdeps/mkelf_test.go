package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// elfSpec describes a minimal ELF file for tests: program headers only (no
// section headers, as an sstripped file), one PT_LOAD mapping the whole
// file at vaddr base, PT_INTERP and PT_DYNAMIC as asked.
type elfSpec struct {
	class     elf.Class // default ELFCLASS64
	machine   elf.Machine
	typ       elf.Type
	interp    string
	needed    []string
	soname    string
	rpath     *string
	runpath   *string
	flags1    elf.DynFlag1
	noDynamic bool
}

func str(s string) *string { return &s }

const base = 0x10000

func mkELF(s elfSpec) []byte {
	if s.class == 0 {
		s.class = elf.ELFCLASS64
	}
	if s.machine == 0 {
		s.machine = elf.EM_X86_64
	}
	if s.typ == 0 {
		s.typ = elf.ET_DYN
	}
	is64 := s.class == elf.ELFCLASS64
	ehsize, phsize, dynsize := 52, 32, 8
	if is64 {
		ehsize, phsize, dynsize = 64, 56, 16
	}
	nph := 1
	if s.interp != "" {
		nph++
	}
	if !s.noDynamic {
		nph++
	}
	// Strings.
	strtab := []byte{0}
	add := func(x string) uint64 {
		off := uint64(len(strtab))
		strtab = append(strtab, x...)
		strtab = append(strtab, 0)
		return off
	}
	type dyn struct {
		tag elf.DynTag
		val uint64
	}
	var dyns []dyn
	for _, n := range s.needed {
		dyns = append(dyns, dyn{elf.DT_NEEDED, add(n)})
	}
	if s.soname != "" {
		dyns = append(dyns, dyn{elf.DT_SONAME, add(s.soname)})
	}
	if s.rpath != nil {
		dyns = append(dyns, dyn{elf.DT_RPATH, add(*s.rpath)})
	}
	if s.runpath != nil {
		dyns = append(dyns, dyn{elf.DT_RUNPATH, add(*s.runpath)})
	}
	if s.flags1 != 0 {
		dyns = append(dyns, dyn{elf.DT_FLAGS_1, uint64(s.flags1)})
	}
	interpOff := ehsize + nph*phsize
	strOff := interpOff + len(s.interp) + 1
	dynOff := strOff + len(strtab)
	dyns = append(dyns, dyn{elf.DT_STRTAB, base + uint64(strOff)}, dyn{elf.DT_STRSZ, uint64(len(strtab))}, dyn{elf.DT_NULL, 0})
	total := dynOff + len(dyns)*dynsize

	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(s.class), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	type ph struct {
		typ         elf.ProgType
		off, filesz uint64
	}
	var phs []ph
	phs = append(phs, ph{elf.PT_LOAD, 0, uint64(total)})
	if s.interp != "" {
		phs = append(phs, ph{elf.PT_INTERP, uint64(interpOff), uint64(len(s.interp) + 1)})
	}
	if !s.noDynamic {
		phs = append(phs, ph{elf.PT_DYNAMIC, uint64(dynOff), uint64(len(dyns) * dynsize)})
	}
	if is64 {
		w(elf.Header64{Ident: ident, Type: uint16(s.typ), Machine: uint16(s.machine), Version: 1,
			Phoff: uint64(ehsize), Ehsize: uint16(ehsize), Phentsize: uint16(phsize), Phnum: uint16(nph), Shentsize: 64})
		for _, p := range phs {
			w(elf.Prog64{Type: uint32(p.typ), Flags: 4, Off: p.off, Vaddr: base + p.off, Paddr: base + p.off, Filesz: p.filesz, Memsz: p.filesz, Align: 8})
		}
	} else {
		w(elf.Header32{Ident: ident, Type: uint16(s.typ), Machine: uint16(s.machine), Version: 1,
			Phoff: uint32(ehsize), Ehsize: uint16(ehsize), Phentsize: uint16(phsize), Phnum: uint16(nph), Shentsize: 40})
		for _, p := range phs {
			w(elf.Prog32{Type: uint32(p.typ), Flags: 4, Off: uint32(p.off), Vaddr: uint32(base + p.off), Paddr: uint32(base + p.off), Filesz: uint32(p.filesz), Memsz: uint32(p.filesz), Align: 4})
		}
	}
	b.WriteString(s.interp)
	b.WriteByte(0)
	b.Write(strtab)
	for _, d := range dyns {
		if is64 {
			w(elf.Dyn64{Tag: int64(d.tag), Val: d.val})
		} else {
			w(elf.Dyn32{Tag: int32(d.tag), Val: uint32(d.val)})
		}
	}
	return b.Bytes()
}
