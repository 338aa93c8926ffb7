package analyze

import (
	"encoding/binary"
	"io"

	"github.com/whittle-dev/whittle/internal/tarsparse"
)

// Fragment is one run of stored data in a sparse file: Length bytes at
// Offset.
type Fragment = tarsparse.Fragment

// SparseFile is the reader ReadFiles and ReadContents hand over for a
// sparse file (one a layer stores as a map of its data, GNU's or PAX's
// sparse formats). Read gives its bytes with the holes as zeros, as for
// any file; Fragments and Data give what the layer stores, so that a
// writer can keep it sparse and a terabyte of holes costs nothing. Use
// Read or Data, not both.
type SparseFile struct {
	frags []Fragment
	data  io.Reader
	size  int64

	pos  int64 // logical position of Read
	next int   // the first fragment not wholly read by Read
}

// Fragments returns the file's data fragments in order (none for a file
// of holes only).
func (s *SparseFile) Fragments() []Fragment { return s.frags }

// Data reads the stored bytes: the fragments one after another.
func (s *SparseFile) Data() io.Reader { return s.data }

// Size is the file's apparent size.
func (s *SparseFile) Size() int64 { return s.size }

// Read reads the file's bytes, holes as zeros.
func (s *SparseFile) Read(p []byte) (int, error) {
	if s.pos >= s.size {
		return 0, io.EOF
	}
	for s.next < len(s.frags) && s.frags[s.next].Offset+s.frags[s.next].Length <= s.pos {
		s.next++
	}
	limit := s.size
	if s.next < len(s.frags) {
		f := s.frags[s.next]
		if s.pos >= f.Offset {
			n := int(min(int64(len(p)), f.Offset+f.Length-s.pos))
			n, err := io.ReadFull(s.data, p[:n])
			s.pos += int64(n)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		limit = f.Offset
	}
	n := int(min(int64(len(p)), limit-s.pos))
	clear(p[:n])
	s.pos += int64(n)
	return n, nil
}

// hashSparse feeds a sparse file to its content hash: its fragment map,
// then its stored bytes. (So a sparse file's hash is not that of the
// same bytes stored whole: the two are different contents to the index,
// and neither is ever read for its apparent size.) It returns the number
// of stored bytes.
func hashSparse(h io.Writer, frags []Fragment, data io.Reader, buf []byte) (int64, error) {
	h.Write(sparseMap(frags))
	return io.CopyBuffer(h, data, buf)
}

// sparseMap encodes a fragment map for the content hash.
func sparseMap(frags []Fragment) []byte {
	b := binary.AppendUvarint([]byte("sparse\x00"), uint64(len(frags)))
	for _, f := range frags {
		b = binary.AppendUvarint(b, uint64(f.Offset))
		b = binary.AppendUvarint(b, uint64(f.Length))
	}
	return b
}
