package nixref

import "sort"

// MaxRun bounds the base-32 runs a RunScanner keeps; a longer run makes
// the stream overflow.
const MaxRun = 4096

// MaxRuns bounds the runs a RunScanner keeps of one stream; more make it
// overflow.
const MaxRuns = 4096

// RunScanner records, without knowing which store paths will be looked
// for, every place a hash part could be: each maximal run of at least
// HashLen base-32 characters, with the path text after it (as
// TrackOccurrences keeps it). Set.Resolve later gives, for any set,
// exactly the occurrences a tracking Scanner of that set finds in the same
// streams, so what a file names can be learnt in a pass over the layers
// made before the store's contents are known, and cached by the file's
// bytes alone. Like a Scanner, it is written in pieces of any size, and
// EndStream separates streams.
type RunScanner struct {
	occ      occurrences
	cur      []byte // the base-32 run being read, carried across writes
	overflow bool
}

// NewRunScanner returns an empty RunScanner.
func NewRunScanner() *RunScanner {
	return &RunScanner{occ: occurrences{seen: map[string]bool{}, count: map[string]int{}}}
}

// Write scans p; it never fails.
func (rs *RunScanner) Write(p []byte) (int, error) {
	rs.occ.extend(p)
	i, n := 0, len(p)
	if len(rs.cur) > 0 {
		for i < n && isBase32[p[i]] {
			i++
		}
		rs.cur = appendRun(rs.cur, p[:i])
		if i == n {
			return n, nil
		}
		rs.runEnds(string(rs.cur), p, i)
		rs.cur = rs.cur[:0]
	}
	for i+HashLen <= n {
		if !isBase32[p[i+HashLen-1]] {
			i += HashLen
			continue
		}
		j := i + HashLen - 2
		for j >= i && isBase32[p[j]] {
			j--
		}
		if j >= i {
			i = j + 1
			continue
		}
		end := i + HashLen
		for end < n && isBase32[p[end]] {
			end++
		}
		if end == n {
			rs.cur = appendRun(rs.cur[:0], p[i:])
			return n, nil
		}
		rs.runEnds(string(p[i:end]), p, end)
		i = end + 1
	}
	// A base-32 tail shorter than a hash part may start a run that the
	// next write continues (i follows a byte that is not base-32).
	j := n
	for j > i && isBase32[p[j-1]] {
		j--
	}
	rs.cur = append(rs.cur[:0], p[j:]...)
	return n, nil
}

// appendRun adds b to a run, keeping no more than MaxRun+1 bytes (a run
// that long overflows anyway).
func appendRun(run, b []byte) []byte {
	return append(run, b[:min(len(b), max(MaxRun+1-len(run), 0))]...)
}

// runEnds records a run that ended before p[at], its text read from there.
func (rs *RunScanner) runEnds(run string, p []byte, at int) {
	if len(run) < HashLen {
		return
	}
	if len(run) > MaxRun || len(rs.occ.seen) >= MaxRuns {
		rs.overflow = true
		return
	}
	rs.occ.start(run, p, at)
}

// EndStream ends a stream: a run at its end is recorded, and the next
// Write starts afresh.
func (rs *RunScanner) EndStream() {
	if len(rs.cur) >= HashLen {
		rs.runEnds(string(rs.cur), nil, 0)
	}
	rs.cur = rs.cur[:0]
	rs.occ.end()
}

// Runs returns the runs recorded since the last Reset, each followed by
// the text after it, sorted; ok is false when the streams held more or
// longer runs than the scanner keeps (MaxRuns, MaxRun): then only a
// Scanner of the candidate set can say what they name.
func (rs *RunScanner) Runs() (runs []string, ok bool) {
	rs.EndStream()
	if rs.overflow || len(rs.occ.seen) > MaxRuns {
		return nil, false
	}
	out := make([]string, 0, len(rs.occ.seen))
	for k := range rs.occ.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, true
}

// Reset forgets everything, to scan a new file.
func (rs *RunScanner) Reset() {
	rs.occ.reset()
	rs.cur, rs.overflow = rs.cur[:0], false
}

// Resolve returns the occurrences of the candidates of s in runs (what
// RunScanner.Runs gave): what a Scanner of s made to TrackOccurrences
// returns for the same streams, sorted.
func (s *Set) Resolve(runs []string) []string {
	o := &occurrences{seen: map[string]bool{}, count: map[string]int{}}
	for _, r := range runs {
		k := 0
		for k < len(r) && isBase32[r[k]] {
			k++
		}
		for i := 0; i+HashLen <= k; i++ {
			h := r[i : i+HashLen]
			if _, ok := s.index[h]; ok {
				tail := r[i+HashLen:]
				if len(tail) > MaxTail {
					tail = tail[:MaxTail]
				}
				o.add(h, tail)
			}
		}
	}
	out := make([]string, 0, len(o.seen))
	for k := range o.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
