package elfdeps

import (
	"bytes"
	"debug/elf"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		spec elfSpec
		want Info
	}{
		{
			name: "executable",
			spec: elfSpec{interp: "/lib64/ld-linux-x86-64.so.2", needed: []string{"libm.so.6", "libc.so.6"}, runpath: str("$ORIGIN/../lib:/opt/lib")},
			want: Info{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64, Type: elf.ET_DYN, Interp: "/lib64/ld-linux-x86-64.so.2",
				Dynamic: true, Needed: []string{"libm.so.6", "libc.so.6"}, RunPath: []string{"$ORIGIN/../lib", "/opt/lib"}},
		},
		{
			name: "library",
			spec: elfSpec{soname: "libfoo.so.1", needed: []string{"libc.so.6"}, rpath: str("/a::/b"), flags1: elf.DF_1_NODEFLIB},
			want: Info{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
				Dynamic: true, Needed: []string{"libc.so.6"}, Soname: "libfoo.so.1", RPath: []string{"/a", "", "/b"}, Flags1: elf.DF_1_NODEFLIB},
		},
		{
			name: "32-bit",
			spec: elfSpec{class: elf.ELFCLASS32, machine: elf.EM_386, typ: elf.ET_EXEC, interp: "/lib/ld-linux.so.2", needed: []string{"libc.so.6"}},
			want: Info{Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB, Machine: elf.EM_386, Type: elf.ET_EXEC, Interp: "/lib/ld-linux.so.2",
				Dynamic: true, Needed: []string{"libc.so.6"}},
		},
		{
			name: "static",
			spec: elfSpec{typ: elf.ET_EXEC, noDynamic: true},
			want: Info{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64, Type: elf.ET_EXEC},
		},
	}
	for _, tt := range tests {
		got, err := Parse(bytes.NewReader(mkELF(tt.spec)))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s: Parse =\n%+v\nwant\n%+v", tt.name, *got, tt.want)
		}
		if got.NoDefaultLib() != (tt.want.Flags1&elf.DF_1_NODEFLIB != 0) {
			t.Errorf("%s: NoDefaultLib = %v", tt.name, got.NoDefaultLib())
		}
	}
}

func TestParseErrors(t *testing.T) {
	good := mkELF(elfSpec{needed: []string{"libc.so.6"}, interp: "/lib/ld.so"})
	if _, err := Parse(bytes.NewReader([]byte("#!/bin/sh\n"))); !errors.Is(err, ErrNotELF) {
		t.Errorf("script: error %v, want ErrNotELF", err)
	}
	if _, err := Parse(bytes.NewReader(nil)); !errors.Is(err, ErrNotELF) {
		t.Errorf("empty: error %v, want ErrNotELF", err)
	}
	for _, n := range []int{5, 20, 63, 64 + 56, len(good) - 20, len(good) - 1} {
		if _, err := Parse(bytes.NewReader(good[:n])); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	// A DT_NEEDED offset past DT_STRSZ.
	bad := bytes.Clone(good)
	dynOff := len(bad) - 4*16
	bad[dynOff+8] = 0xff
	// It fails only that entry: the file parses, the entry is reported.
	info, err := Parse(bytes.NewReader(bad))
	if err != nil || len(info.Needed) != 0 || len(info.Bad) != 1 || !strings.Contains(info.Bad[0], "DT_NEEDED: string offset") {
		t.Errorf("string offset outside the table: %+v, %v; want the DT_NEEDED entry in Bad", info, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(mkELF(elfSpec{interp: "/lib64/ld-linux-x86-64.so.2", needed: []string{"libc.so.6"}, runpath: str("$ORIGIN")}))
	f.Add(mkELF(elfSpec{class: elf.ELFCLASS32, machine: elf.EM_386, soname: "libx.so.1", rpath: str("/x")}))
	f.Add(mkELF(elfSpec{noDynamic: true}))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Parse(bytes.NewReader(data))
		if err == nil && info == nil {
			t.Fatal("nil info without error")
		}
	})
}

// TestParseLongStrings: a 5,499-byte DT_RUNPATH (a real Nix one's length)
// and a long DT_NEEDED parse whole.
func TestParseLongStrings(t *testing.T) {
	long := "/nix/store/" + strings.Repeat("x", 5488)
	need := "lib" + strings.Repeat("n", 5000) + ".so"
	info, err := Parse(bytes.NewReader(mkELF(elfSpec{interp: "/lib/ld.so", runpath: str(long), needed: []string{need, "libc.so.6"}})))
	if err != nil || len(info.Bad) != 0 {
		t.Fatalf("Parse: %v, bad %q", err, info.Bad)
	}
	if len(long) != 5499 || len(info.RunPath) != 1 || info.RunPath[0] != long || len(info.Needed) != 2 || info.Needed[0] != need {
		t.Errorf("runpath %d bytes, needed %d", len(info.RunPath[0]), len(info.Needed))
	}
}
