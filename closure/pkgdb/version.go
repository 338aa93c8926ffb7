package pkgdb

import (
	"strconv"
	"strings"
)

// CompareDebian compares two Debian versions ([epoch:]upstream[-revision])
// as dpkg does: negative when a < b, zero when equal, positive when a > b.
func CompareDebian(a, b string) int {
	ea, ua, ra := splitDebian(a)
	eb, ub, rb := splitDebian(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

func splitDebian(v string) (epoch int, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, _ = strconv.Atoi(v[:i])
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// order ranks a non-digit character: "~" before the end of the string,
// which is before letters, which are before everything else.
func order(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for at(a, i) == '0' {
			i++
		}
		for at(b, j) == '0' {
			j++
		}
		firstDiff := 0
		for isDigit(at(a, i)) && isDigit(at(b, j)) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if isDigit(at(a, i)) {
			return 1
		}
		if isDigit(at(b, j)) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// apk version suffixes in their order; the empty suffix (none) sits
// between rc and cvs.
var apkSuffixes = map[string]int{"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}

const apkNoSuffix = 4

type apkVersion struct {
	nums     []string
	letter   byte
	suffixes [][2]int // (rank, number)
	rev      int
}

func parseApk(v string) apkVersion {
	var out apkVersion
	if i := strings.LastIndex(v, "-r"); i >= 0 {
		if n, err := strconv.Atoi(v[i+2:]); err == nil {
			out.rev = n
			v = v[:i]
		}
	}
	if i := strings.IndexByte(v, '~'); i >= 0 {
		v = v[:i]
	}
	i := 0
	for {
		j := i
		for j < len(v) && isDigit(v[j]) {
			j++
		}
		out.nums = append(out.nums, v[i:j])
		i = j
		if i < len(v) && v[i] == '.' {
			i++
			continue
		}
		break
	}
	if i < len(v) && v[i] >= 'a' && v[i] <= 'z' {
		out.letter = v[i]
		i++
	}
	for i < len(v) && v[i] == '_' {
		j := i + 1
		for j < len(v) && v[j] >= 'a' && v[j] <= 'z' {
			j++
		}
		rank, ok := apkSuffixes[v[i+1:j]]
		if !ok {
			break
		}
		k := j
		for k < len(v) && isDigit(v[k]) {
			k++
		}
		n, _ := strconv.Atoi(v[j:k])
		out.suffixes = append(out.suffixes, [2]int{rank, n})
		i = k
	}
	return out
}

// CompareApk compares two apk versions (1.2.3a_rc1_p2-r4): numeric parts
// (after the first, one with a leading zero compares as a decimal
// fraction), then a letter, then suffixes (alpha < beta < pre < rc < none
// < cvs < svn < git < hg < p), then the -r revision.
func CompareApk(a, b string) int {
	va, vb := parseApk(a), parseApk(b)
	for k := 0; k < len(va.nums) && k < len(vb.nums); k++ {
		x, y := va.nums[k], vb.nums[k]
		var c int
		if k > 0 && (strings.HasPrefix(x, "0") || strings.HasPrefix(y, "0")) {
			c = strings.Compare(x, y)
		} else {
			c = compareNum(x, y)
		}
		if c != 0 {
			return c
		}
	}
	if len(va.nums) != len(vb.nums) {
		if len(va.nums) < len(vb.nums) {
			return -1
		}
		return 1
	}
	if va.letter != vb.letter {
		if va.letter < vb.letter {
			return -1
		}
		return 1
	}
	for k := 0; k < max(len(va.suffixes), len(vb.suffixes)); k++ {
		sa, sb := [2]int{apkNoSuffix, 0}, [2]int{apkNoSuffix, 0}
		if k < len(va.suffixes) {
			sa = va.suffixes[k]
		}
		if k < len(vb.suffixes) {
			sb = vb.suffixes[k]
		}
		if sa != sb {
			if sa[0] != sb[0] {
				return sign(sa[0] - sb[0])
			}
			return sign(sa[1] - sb[1])
		}
	}
	return sign(va.rev - vb.rev)
}

func compareNum(x, y string) int {
	x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		return sign(len(x) - len(y))
	}
	return strings.Compare(x, y)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// satisfies reports whether version v meets the constraint op want, with
// cmp the format's comparison. An empty op accepts any version.
func satisfies(cmp func(a, b string) int, v, op, want string) bool {
	if op == "" {
		return true
	}
	c := cmp(v, want)
	switch op {
	case "=", "==":
		return c == 0
	case "<<", "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">>", ">":
		return c > 0
	case ">=":
		return c >= 0
	case "~", "=~":
		// apk's fuzzy match: v starts with want, component-wise.
		return v == want || strings.HasPrefix(v, want+".") || strings.HasPrefix(v, want+"-") ||
			strings.HasPrefix(v, want+"_") || strings.HasPrefix(v, want) && len(v) > len(want) && !isDigit(v[len(want)])
	case "><":
		return c != 0
	}
	return false
}
