package verify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The namespace sandbox runs its commands in a user namespace when it
// can: the image's ids 0..usernsSize-1 are host ids usernsBase..., so
// root in the image is no one on the host. The image's tree is shown
// through an idmapped mount, so its owners are the image's inside.
const (
	usernsBase = 1 << 30
	usernsSize = 65536
)

// userNSFD is where the helper receives the tree's idmapped mount.
const userNSFD = 4

// canUserNS reports whether sp's ids all fit the user namespace's map.
func canUserNS(sp spec) bool {
	if os.Geteuid() != 0 {
		return false
	}
	ids := append([]int{sp.UID, sp.GID}, sp.Groups...)
	for _, id := range ids {
		if id < 0 || id >= usernsSize {
			return false
		}
	}
	return true
}

// userNSAttr adds the user namespace to the helper's attributes.
func userNSAttr(attr *syscall.SysProcAttr) {
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: usernsBase, Size: usernsSize}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: usernsBase, Size: usernsSize}}
	attr.GidMappingsEnableSetgroups = true
	// The child is still the host's root, which the namespace does not
	// map: it becomes the namespace's root, to have its capabilities.
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
}

// sendIdmappedTree, in the parent, puts the helper (pid) into the cgroup
// (it cannot itself: it is no one on the host), makes an idmapped copy
// of the tree's mount for its user namespace, and sends it on sock.
func sendIdmappedTree(pid int, sp spec, sock int) error {
	if err := moveToCgroups(pid, sp.Cgroups); err != nil {
		return err
	}
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(ns)
	tree, err := unix.OpenTree(unix.AT_FDCWD, sp.Root, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("cloning the tree's mount: %w", err)
	}
	defer unix.Close(tree)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV, Userns_fd: uint64(ns)}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		return fmt.Errorf("idmapping the tree's mount: %w", err)
	}
	return unix.Sendmsg(sock, []byte{1}, unix.UnixRights(tree), nil, 0)
}

// receiveTree, in the helper, waits for the tree's idmapped mount.
func receiveTree() (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(userNSFD, buf, oob, 0)
	if err != nil {
		return -1, fmt.Errorf("receiving the tree: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return -1, errors.New("receiving the tree: no descriptor")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, errors.New("receiving the tree: no descriptor")
	}
	return fds[0], nil
}

// userNSDevices are the host's devices bound into the sandbox's /dev
// (a user namespace cannot make device nodes).
var userNSDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// prepareUserNSRoot, in the helper (root of its user namespace), mounts
// the root the command sees: an overlay of the idmapped tree and a tmpfs
// of sp.Disk bytes (or 64 MiB), with /dev holding the host's harmless
// devices, all on a tmpfs over / of this mount namespace. It returns the
// root's path, relative to the working directory it leaves.
func prepareUserNSRoot(sp spec) (string, error) {
	tree, err := receiveTree()
	if err != nil {
		return "", err
	}
	defer unix.Close(tree)
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", fmt.Errorf("making mounts private: %w", err)
	}
	size := sp.Disk
	if size <= 0 {
		size = 64 << 20
	}
	fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return "", fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(fs)
	for k, v := range map[string]string{"size": strconv.FormatInt(size, 10), "mode": "0700"} {
		if err := unix.FsconfigSetString(fs, k, v); err != nil {
			return "", fmt.Errorf("tmpfs %s: %w", k, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return "", fmt.Errorf("creating the tmpfs: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return "", fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mnt)
	if err := unix.MoveMount(mnt, "", unix.AT_FDCWD, "/", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("mounting the tmpfs: %w", err)
	}
	if err := unix.Fchdir(mnt); err != nil {
		return "", err
	}
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := unix.Mkdir(d, 0o700); err != nil {
			return "", err
		}
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, "lower", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("mounting the tree: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Stat("lower", &st); err != nil {
		return "", err
	}
	if err := unix.Chown("upper", int(st.Uid), int(st.Gid)); err != nil {
		return "", err
	}
	if err := unix.Chmod("upper", st.Mode&0o7777); err != nil {
		return "", err
	}
	if err := unix.Mount("overlay", "merged", "overlay", unix.MS_NOSUID|unix.MS_NODEV, "lowerdir=lower,upperdir=upper,workdir=work,userxattr"); err != nil {
		return "", fmt.Errorf("mounting the overlay: %w", err)
	}
	if err := unix.Mount("tmpfs", "merged/dev", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return "", fmt.Errorf("mounting /dev: %w", err)
	}
	for _, d := range userNSDevices {
		p := "merged/dev/" + d
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return "", err
		}
		f.Close()
		if err := unix.Mount("/dev/"+d, p, "", unix.MS_BIND, ""); err != nil {
			return "", fmt.Errorf("binding /dev/%s: %w", d, err)
		}
	}
	return "merged", nil
}

// moveToCgroups moves the process pid into the cgroups at dirs, and the
// children it already has (a tracer started in the helper's place has
// started the helper, which waits for the tree): children it starts
// later are born there.
func moveToCgroups(pid int, dirs []string) error {
	pids := []int{pid}
	for _, d := range dirs {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("moving the sandbox into cgroup %s: %w", d, err)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				pids = append(pids, c)
			}
		}
	}
	for _, c := range pids[1:] {
		for _, d := range dirs {
			if err := writeFile(d, "cgroup.procs", strconv.Itoa(c)); err != nil {
				return fmt.Errorf("moving the sandbox's process %d into cgroup %s: %w", c, d, err)
			}
		}
	}
	return nil
}
