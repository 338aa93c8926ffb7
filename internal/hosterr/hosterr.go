// Package hosterr shortens errors about files on this machine for the one
// line a person reads ("no such file or directory" instead of "open
// /x/y: no such file or directory" after a prefix that already names the
// file) while keeping them testable: errors.Is(err, fs.ErrNotExist) and
// fs.ErrPermission still hold, and errors.As still finds the
// *fs.PathError. It never changes errors of other kinds.
package hosterr

import (
	"errors"
	"io/fs"
)

// short is an error that reads as msg and unwraps to the original.
type short struct {
	msg string
	err error
}

func (s *short) Error() string { return s.msg }
func (s *short) Unwrap() error { return s.err }

// Describe returns err with a *fs.PathError for a missing file or a denied
// permission reduced to "no such file or directory" or "permission
// denied" (its path is assumed named by the caller's prefix), still
// unwrapping to err. nil stays nil; other errors are returned unchanged.
func Describe(err error) error {
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe):
		return &short{"no such file or directory", err}
	case errors.Is(err, fs.ErrPermission) && errors.As(err, &pe):
		return &short{"permission denied", err}
	}
	return err
}
