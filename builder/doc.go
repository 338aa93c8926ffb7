// Package builder turns what the user decided into an image: it selects
// the files to keep from an indexed source image (trim) or takes a whole
// Nix closure (assemble), adds the generated /etc, groups the files into
// layers (one layer, or one per store path or package ordered by
// popularity as nixpkgs' buildLayeredImage does), writes each layer as a
// reproducible tar (sorted entries, fixed modification time, numeric
// owners, the source's modes, owners and extended attributes), compresses
// layers in parallel, and composes the image with go-containerregistry's
// mutate. Layers are written while the source layers are read, once and
// in order, in bounded memory whatever the image: no content is held
// whole (each streams from the source into the layer that waits for it,
// or through a spool file whose zero blocks are holes), sparse files are
// written sparse (PAX GNU sparse 1.0), deep trees cost linear time, and
// every phase stops when the context is cancelled, leaving nothing
// behind. Layers it wrote are kept in a cache keyed by what they hold, so
// an unchanged build reads no source layer.
//
// It does not decide what to keep (the caller passes the closure and the
// plan's patterns), does not write outputs (package dest does) and does
// not run the result (package verify does). It never prints; progress is
// reported through a callback.
package builder
