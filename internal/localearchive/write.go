package localearchive

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"sort"
	"strings"
)

// pageSize is the alignment localedef uses for the block of small
// categories (a fixed 4096, whatever the build machine's page size).
const pageSize = 4096

// Build returns an archive holding locales, laid out as localedef lays
// out a fresh archive into which it added them: identical category data is
// stored once, small categories share one block, data is 16-byte aligned.
// Locales are stored in name order, so the same set always gives the same
// bytes. Names must be unique across locales and aliases; every category
// but LC_ALL must be present.
func Build(locales []*Locale) ([]byte, error) {
	locs := append([]*Locale(nil), locales...)
	sort.Slice(locs, func(i, j int) bool { return locs[i].Name < locs[j].Name })
	seen := map[string]bool{}
	var names []string // in insertion order
	var owner []int    // locale index of each name
	for i, l := range locs {
		for _, n := range append([]string{l.Name}, l.Aliases...) {
			if n == "" || strings.IndexByte(n, 0) >= 0 || strings.IndexByte(n, '/') >= 0 {
				return nil, fmt.Errorf("building locale-archive: bad locale name %q", n)
			}
			if seen[n] {
				return nil, fmt.Errorf("building locale-archive: locale name %q given twice", n)
			}
			seen[n] = true
			names = append(names, n)
			owner = append(owner, i)
		}
		for c, b := range l.Categories {
			if c != LCAll && len(b) == 0 {
				return nil, fmt.Errorf("building locale-archive: %s has no %s data", l.Name, CategoryNames[c])
			}
			if int64(len(b)) > maxCategory {
				return nil, fmt.Errorf("building locale-archive: %s of %s is too large", CategoryNames[c], l.Name)
			}
		}
	}

	// First pass: per locale, which categories are packed together, and
	// the distinct data blocks in the order localedef would append them.
	type block struct {
		data []byte
		sum  [16]byte
		off  uint32
	}
	var blocks []*block
	bySum := map[[16]byte][]*block{}
	type plan struct {
		small  int                   // bit set of packed categories
		packed []byte                // the LC_ALL block (nil if none)
		use    [NumCategories]*block // block of each stored slot
		sizes  [NumCategories]uint32
	}
	plans := make([]plan, len(locs))
	for i, l := range locs {
		p := &plans[i]
		order := make([]int, 0, NumCategories-1)
		for c := 0; c < NumCategories; c++ {
			if c != LCAll {
				order = append(order, c)
				p.sizes[c] = uint32(len(l.Categories[c]))
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return len(l.Categories[order[a]]) < len(l.Categories[order[b]]) })
		total := 0
		for _, c := range order {
			r := (len(l.Categories[c]) + 15) &^ 15
			if total+r > 2*pageSize {
				break
			}
			total += r
			p.small |= 1 << c
		}
		if p.small != 0 {
			p.packed = make([]byte, 0, total)
			for c := 0; c < NumCategories; c++ {
				if p.small&(1<<c) != 0 {
					p.packed = append(p.packed, l.Categories[c]...)
					p.packed = append(p.packed, make([]byte, ((len(l.Categories[c])+15)&^15)-len(l.Categories[c]))...)
				}
			}
			p.sizes[LCAll] = uint32(len(p.packed))
		}
		for c := 0; c < NumCategories; c++ {
			if !stored(p.small, c) {
				continue
			}
			data := l.Categories[c]
			if c == LCAll {
				data = p.packed
			}
			sum := md5.Sum(data)
			var found *block
			for _, b := range bySum[sum] {
				if bytes.Equal(b.data, data) {
					found = b
					break
				}
			}
			if found == nil {
				found = &block{data: data, sum: sum}
				bySum[sum] = append(bySum[sum], found)
				blocks = append(blocks, found)
			}
			p.use[c] = found
		}
	}

	// Table sizes: room to spare, as localedef keeps its tables at most
	// three quarters full.
	nameSize := nextPrime(max(2*uint32(len(names)), 11))
	strUsed := 0
	for _, n := range names {
		strUsed += len(n) + 1
	}
	strSize := uint32((strUsed + 3) &^ 3)
	sumSize := nextPrime(max(2*uint32(len(blocks)), 11))
	h := header{
		magic:    Magic,
		nameOff:  headerSize,
		nameUsed: uint32(len(names)),
		nameSize: nameSize,
	}
	h.strOff = h.nameOff + nameSize*nameEntSize
	h.strUsed = uint32(strUsed)
	h.strSize = strSize
	h.locOff = h.strOff + strSize
	h.locUsed = uint32(len(locs))
	h.locSize = uint32(len(locs))
	h.sumOff = h.locOff + h.locSize*locrecSize
	h.sumUsed = uint32(len(blocks))
	h.sumSize = sumSize
	dataStart := uint64(h.sumOff) + uint64(sumSize)*sumEntSize

	// Second pass: place the blocks, locale by locale, with localedef's
	// alignment rules.
	pos := dataStart
	placed := map[*block]bool{}
	for i := range locs {
		p := &plans[i]
		var lastEnd uint64 // end of the previous block of this locale
		for c := 0; c < NumCategories; c++ {
			b := p.use[c]
			if b == nil || placed[b] {
				continue
			}
			if c == LCAll && lastEnd != pos {
				size := uint64(len(b.data))
				span := ((pos & (pageSize - 1)) + size + pageSize - 1) &^ (pageSize - 1)
				if span > (size+pageSize-1)&^(pageSize-1) {
					pos += pageSize - pos&(pageSize-1)
				}
			}
			pos = (pos + 15) &^ 15
			if pos+uint64(len(b.data)) > 1<<32-1 {
				return nil, fmt.Errorf("building locale-archive: more than 4 GiB of locale data")
			}
			b.off = uint32(pos)
			placed[b] = true
			pos += uint64(len(b.data))
			lastEnd = pos
		}
	}

	out := make([]byte, pos)
	put := func(off uint32, v uint32) { le.PutUint32(out[off:], v) }
	for i, v := range []uint32{h.magic, h.serial, h.nameOff, h.nameUsed, h.nameSize, h.strOff, h.strUsed, h.strSize,
		h.locOff, h.locUsed, h.locSize, h.sumOff, h.sumUsed, h.sumSize} {
		put(uint32(i*4), v)
	}
	// Locale records.
	locrecOff := make([]uint32, len(locs))
	for i := range locs {
		p := &plans[i]
		off := h.locOff + uint32(i)*locrecSize
		locrecOff[i] = off
		refs := uint32(1 + len(locs[i].Aliases))
		put(off, refs)
		var offs [NumCategories]uint32
		if b := p.use[LCAll]; b != nil {
			offs[LCAll] = b.off
		}
		next := offs[LCAll]
		for c := 0; c < NumCategories; c++ {
			switch {
			case c == LCAll:
			case p.small&(1<<c) != 0:
				offs[c] = next
				next += (p.sizes[c] + 15) &^ 15
			default:
				offs[c] = p.use[c].off
			}
		}
		for c := 0; c < NumCategories; c++ {
			put(off+4+uint32(c)*8, offs[c])
			put(off+8+uint32(c)*8, p.sizes[c])
		}
	}
	// Names and the name hash table.
	strPos := h.strOff
	for k, n := range names {
		copy(out[strPos:], n)
		hv := HashName([]byte(n))
		idx := hv % nameSize
		incr := 1 + hv%(nameSize-2)
		for le.Uint32(out[h.nameOff+idx*nameEntSize+4:]) != 0 {
			idx += incr
			if idx >= nameSize {
				idx -= nameSize
			}
		}
		e := h.nameOff + idx*nameEntSize
		put(e, hv)
		put(e+4, strPos)
		put(e+8, locrecOff[owner[k]])
		strPos += uint32(len(n)) + 1
	}
	// Data and the sum hash table.
	for _, b := range blocks {
		copy(out[b.off:], b.data)
		hv := HashName(b.sum[:])
		idx := hv % sumSize
		incr := 1 + hv%(sumSize-2)
		for le.Uint32(out[h.sumOff+idx*sumEntSize+16:]) != 0 {
			idx += incr
			if idx >= sumSize {
				idx -= sumSize
			}
		}
		e := h.sumOff + idx*sumEntSize
		copy(out[e:], b.sum[:])
		put(e+16, b.off)
	}
	return out, nil
}

// stored reports whether record slot c gets a block of its own: LC_ALL
// when some categories are packed, and every category that is not.
func stored(small, c int) bool {
	if small == 0 {
		return c != LCAll
	}
	return small&(1<<c) == 0
}

// nextPrime is localedef's next_prime: the smallest odd prime ≥ n.
func nextPrime(n uint32) uint32 {
	n |= 1
	for !isPrime(n) {
		n += 2
	}
	return n
}

func isPrime(n uint32) bool {
	if n < 2 {
		return false
	}
	for d := uint32(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}
