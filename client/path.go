package client

// JoinPath returns the path of the child name of parent.
func JoinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// ValidatePath checks a znode path as ZooKeeper's PathUtils.validatePath
// does (absolute, no empty or relative segment, no trailing "/", no
// forbidden character); an invalid path matches ErrBadArguments.
func ValidatePath(path string) error { return validatePath(path, false) }
