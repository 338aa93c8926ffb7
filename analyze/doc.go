// Package analyze indexes an opened image in one streaming pass: each
// layer's tar is read once (layers in parallel, nothing extracted to disk),
// whiteouts and opaque directories are applied, and the layers are merged
// into the final file tree with sizes, per-layer changes, wasted bytes and
// duplicates. It also serves the merged tree as an io/fs file system whose
// file contents are read back from the layers on demand, and keeps a
// checksummed on-disk cache of layer indexes keyed by diff ID.
//
// It does not open images (package source does), judge them (package
// audit), compute closures (package closure) or write anything but its
// cache; it never prints.
package analyze
