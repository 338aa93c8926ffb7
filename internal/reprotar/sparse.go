package reprotar

import (
	"archive/tar"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// writeSparse writes a sparse regular file as GNU tar's PAX sparse format
// 1.0 (what `tar --sparse --posix` writes, and archive/tar and GNU tar
// read back): a PAX header naming the file and its real size, then an
// entry whose bytes are the fragment map (in decimal, padded to a block)
// followed by the data fragments. archive/tar's writer does not write
// the GNU.sparse records, so both headers are written here, between its
// entries; its holes are never materialised.
func writeSparse(tw *tar.Writer, w io.Writer, hdr *tar.Header, c Content, buf []byte) error {
	if err := checkFragments(c.Sparse, hdr.Size); err != nil {
		return err
	}
	frags := c.Sparse
	if len(frags) == 0 || frags[len(frags)-1].Offset+frags[len(frags)-1].Length < hdr.Size {
		// An empty last fragment at the end gives the size, as GNU tar
		// writes it.
		frags = append(frags[:len(frags):len(frags)], Fragment{Offset: hdr.Size})
	}
	var m strings.Builder
	m.WriteString(strconv.Itoa(len(frags)) + "\n")
	var data int64
	for _, f := range frags {
		m.WriteString(strconv.FormatInt(f.Offset, 10) + "\n" + strconv.FormatInt(f.Length, 10) + "\n")
		data += f.Length
	}
	for m.Len()%blockSize != 0 {
		m.WriteByte(0)
	}
	stored := int64(m.Len()) + data

	recs := map[string]string{
		"GNU.sparse.major":    "1",
		"GNU.sparse.minor":    "0",
		"GNU.sparse.name":     hdr.Name,
		"GNU.sparse.realsize": strconv.FormatInt(hdr.Size, 10),
	}
	for k, v := range hdr.PAXRecords {
		recs[k] = v
	}
	sizeField := stored
	if stored >= 1<<33 {
		recs["size"], sizeField = strconv.FormatInt(stored, 10), 0
	}
	uid, gid := int64(hdr.Uid), int64(hdr.Gid)
	if uid >= 1<<21 || uid < 0 {
		recs["uid"], uid = strconv.FormatInt(uid, 10), 0
	}
	if gid >= 1<<21 || gid < 0 {
		recs["gid"], gid = strconv.FormatInt(gid, 10), 0
	}
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pax strings.Builder
	for _, k := range keys {
		pax.WriteString(paxRecord(k, recs[k]))
	}

	if err := tw.Flush(); err != nil {
		return err
	}
	dir, base := path.Split(hdr.Name)
	mtime := hdr.ModTime.Unix()
	x := ustarHeader(dir+"PaxHeaders.0/"+base, 'x', 0o644, 0, 0, int64(pax.Len()), mtime)
	if _, err := w.Write(x[:]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, pad(pax.String())); err != nil {
		return err
	}
	h := ustarHeader(dir+"GNUSparseFile.0/"+base, tar.TypeReg, hdr.Mode, uid, gid, sizeField, mtime)
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, m.String()); err != nil {
		return err
	}
	n, err := io.CopyBuffer(w, c.R, buf)
	if err != nil {
		return err
	}
	if n != data {
		return fmt.Errorf("sparse content gave %d of %d data bytes", n, data)
	}
	_, err = w.Write(make([]byte, (blockSize-data%blockSize)%blockSize))
	return err
}

const blockSize = 512

// checkFragments checks that a sparse map is ordered, within size and
// without overlaps.
func checkFragments(fs []Fragment, size int64) error {
	var end int64
	for _, f := range fs {
		if f.Offset < end || f.Length < 0 || f.Offset+f.Length > size || f.Offset+f.Length < f.Offset {
			return fmt.Errorf("sparse map: fragment %d+%d out of order or past the size %d", f.Offset, f.Length, size)
		}
		end = f.Offset + f.Length
	}
	return nil
}

// paxRecord formats one PAX record: "LEN KEY=VALUE\n", LEN counting
// itself.
func paxRecord(k, v string) string {
	rest := " " + k + "=" + v + "\n"
	n := len(rest)
	for {
		s := strconv.Itoa(n) + rest
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

// pad fills s with NULs up to a whole number of blocks.
func pad(s string) string {
	if r := len(s) % blockSize; r != 0 {
		s += strings.Repeat("\x00", blockSize-r)
	}
	return s
}

// ustarHeader formats a POSIX ustar header block as archive/tar's PAX
// writer does (name truncated to its field: readers take the PAX name).
func ustarHeader(name string, typ byte, mode, uid, gid, size, mtime int64) [blockSize]byte {
	var b [blockSize]byte
	copy(b[0:100], name)
	octal(b[100:108], mode)
	octal(b[108:116], uid)
	octal(b[116:124], gid)
	octal(b[124:136], size)
	octal(b[136:148], mtime)
	b[156] = typ
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	octal(b[329:337], 0)
	octal(b[337:345], 0)
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	octal(b[148:155], sum)
	b[155] = ' '
	return b
}

// octal writes n as zero-padded octal digits ending in a NUL.
func octal(field []byte, n int64) {
	s := strconv.FormatInt(n, 8)
	w := len(field) - 1
	if len(s) > w {
		s = s[len(s)-w:] // callers keep values in range
	}
	copy(field, strings.Repeat("0", w-len(s))+s)
	field[w] = 0
}
