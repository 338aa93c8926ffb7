// Package verify proves that an image still works: it unpacks the image's
// final root file system into a directory (safely: nothing is ever written
// outside it, whatever the image's names, symlinks and hardlinks say) and
// runs commands inside it as the image would run them (the config's Env,
// WorkingDir and User) in a sandbox without network — bubblewrap when it
// is installed, else Linux namespaces and chroot set up by this package
// itself (see Init) — and reports each command's exit status and output.
package verify
