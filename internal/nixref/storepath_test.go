package nixref

import (
	"reflect"
	"strings"
	"testing"
)

const (
	h1 = "0c7c7sg3lss5ybcqlbwkd0zgf1ikpmk4"
	h2 = "yzzw0hbiqf7xz2d28vlakfgpy6kzqcys"
	h3 = "9krlzvny65gdc8s7kpb6lkx8cd02c25b"
)

func TestValidHash(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{h1, true},
		{strings.Repeat("0", 32), true},
		{strings.Repeat("z", 32), true},
		{h1[:31], false},
		{h1 + "a", false},
		{strings.Repeat("e", 32), false},
		{strings.Repeat("o", 32), false},
		{strings.Repeat("u", 32), false},
		{strings.Repeat("t", 32), false},
		{strings.Repeat("A", 32), false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidHash(tt.in); got != tt.want {
			t.Errorf("ValidHash(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := len(Alphabet); got != 32 {
		t.Errorf("len(Alphabet) = %d", got)
	}
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(Alphabet, byte(c)) >= 0
		if IsBase32(byte(c)) != want {
			t.Errorf("IsBase32(%q) = %v", byte(c), !want)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"bash-5.2p15", true},
		{"python3.11-requests-2.31.0", true},
		{"foo+bar_baz?x=y", true},
		{".hidden", true},
		{"..x", true},
		{".", false},
		{"..", false},
		{".-x", false},
		{"..-x", false},
		{"", false},
		{"a b", false},
		{"a/b", false},
		{strings.Repeat("a", 211), true},
		{strings.Repeat("a", 212), false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.in); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseStorePath(t *testing.T) {
	tests := []struct {
		dir, in string
		want    StorePath
		wantErr bool
	}{
		{"/nix/store", "/nix/store/" + h1 + "-bash-5.2", StorePath{"/nix/store", h1, "bash-5.2"}, false},
		{"/nix/store/", "/nix/store/" + h1 + "-bash-5.2", StorePath{"/nix/store", h1, "bash-5.2"}, false},
		{"/nix/store", "/nix/store/" + h1 + "-bash-5.2/", StorePath{"/nix/store", h1, "bash-5.2"}, false},
		{"/opt/store", "/opt/store/" + h1 + "-x", StorePath{"/opt/store", h1, "x"}, false},
		{"/nix/store", "/nix/store/" + h1 + "-bash/bin/sh", StorePath{}, true},
		{"/nix/store", "/nix/store/" + h1, StorePath{}, true},
		{"/nix/store", "/nix/store/" + h1 + "-", StorePath{}, true},
		{"/nix/store", "/nix/store/" + h1[:31] + "e-bash", StorePath{}, true},
		{"/nix/store", "/other/" + h1 + "-bash", StorePath{}, true},
		{"/nix/store", "/nix/store/" + h1 + "-ba sh", StorePath{}, true},
	}
	for _, tt := range tests {
		got, err := ParseStorePath(tt.dir, tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStorePath(%q, %q) = %+v, %v; want %+v, error %v", tt.dir, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	sp, _ := ParseStorePath("/nix/store", "/nix/store/"+h1+"-bash-5.2")
	if sp.String() != "/nix/store/"+h1+"-bash-5.2" || sp.Base() != h1+"-bash-5.2" {
		t.Errorf("String/Base = %q %q", sp.String(), sp.Base())
	}
}

func TestSplitStorePath(t *testing.T) {
	sp, rest, err := SplitStorePath("/nix/store", "/nix/store/"+h2+"-glibc-2.38/lib/libc.so.6")
	if err != nil || sp != (StorePath{"/nix/store", h2, "glibc-2.38"}) || rest != "/lib/libc.so.6" {
		t.Errorf("SplitStorePath = %+v %q %v", sp, rest, err)
	}
}

func TestFindStorePaths(t *testing.T) {
	tests := []struct {
		in   string
		want []StorePath
	}{
		{"/nix/store/" + h1 + "-glibc-2.38/lib/libc.so.6", []StorePath{{"/nix/store", h1, "glibc-2.38"}}},
		{"../../nix/store/" + h1 + "-zoneinfo", []StorePath{{"/nix/store", h1, "zoneinfo"}}},
		{"PATH=/nix/store/" + h2 + "-coreutils/bin:/nix/store/" + h1 + "-bash/bin:/nix/store/" + h2 + "-coreutils/sbin",
			[]StorePath{{"/nix/store", h2, "coreutils"}, {"/nix/store", h1, "bash"}}},
		{"/nix/store/" + h1, nil},
		{"/nix/store/" + h1 + "-", nil},
		{"/nix/store/" + h1 + "-.", nil},
		{"/nix/store/nix/store/" + h3 + "-x", []StorePath{{"/nix/store", h3, "x"}}},
		{h1 + "-bare-hash", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := FindStorePaths("/nix/store", tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FindStorePaths(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
