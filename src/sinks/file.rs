//! Writing files that hold secrets: 0600, to a temporary file in the same
//! directory, then renamed over the target, so nobody reads a half-written
//! or world-readable file.

use std::io::Write;
use std::path::Path;

/// What a file type is called in a message.
fn describe(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Refuses a target that exists and is not a regular file: renaming over a
/// symlink, a device or a FIFO would replace it with a file of secrets
/// (`/dev/stdout` as root), and configure-aws-credentials refuses them too.
pub fn check_target(path: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot inspect it: {e}")),
        Ok(m) if m.file_type().is_file() => Ok(()),
        Ok(m) => Err(format!(
            "it is {}; it must be a regular file or not exist yet",
            describe(m.file_type())
        )),
    }
}

/// The directory a file will be written to (through a temporary file and a
/// rename): it must exist and take a new file, tried by creating one.
pub fn check_dir_writable(path: &Path) -> Result<(), String> {
    let dir = parent_dir(path);
    tempfile::Builder::new()
        .prefix(".ns-federate-check-")
        .tempfile_in(dir)
        .map(drop)
        // The kind only: tempfile's message names the probe file, which means nothing to the user.
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("the directory {} does not exist", dir.display())
            }
            kind => format!("the directory {} is not writable: {kind}", dir.display()),
        })
}

/// A file command file (`GITHUB_ENV`, `GITHUB_OUTPUT`): the runner creates
/// it, so it must exist, be a regular file and open for appending.
pub fn check_appendable(path: &Path) -> Result<(), String> {
    let m = std::fs::metadata(path).map_err(|e| format!("cannot use it: {e}"))?;
    if !m.is_file() {
        return Err(format!(
            "it is {}, not a regular file",
            describe(m.file_type())
        ));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map(drop)
        .map_err(|e| format!("cannot open it for appending: {e}"))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Creates the directory of `path` (and its parents), mode 0700 as `nsc`
/// does, when missing.
pub fn create_private_parent(path: &Path) -> Result<(), String> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes `contents` to `path` atomically with mode 0600; refuses a target
/// that exists and is not a regular file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), String> {
    check_target(path)?;
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".ns-federate-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    tmp.write_all(contents).map_err(|e| e.to_string())?;
    tmp.as_file().sync_all().map_err(|e| e.to_string())?;
    tmp.persist(path).map_err(|e| e.error.to_string())?;
    Ok(())
}

/// Appends `contents` to an existing file in a single write (file commands).
pub fn append_once(path: &Path, contents: &[u8]) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    f.write_all(contents).map_err(|e| e.to_string())?;
    f.flush().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_directory_is_named_not_the_probe_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing/credentials");
        let err = check_dir_writable(&target).unwrap_err();
        assert_eq!(
            err,
            format!(
                "the directory {} does not exist",
                dir.path().join("missing").display()
            )
        );
        assert!(!err.contains(".ns-federate-check-"), "{err}");
    }

    #[test]
    fn atomic_write_is_private_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("aws.env");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
        assert!(write_atomic(&dir.path().join("missing/x"), b"x").is_err());
    }

    #[test]
    fn special_targets_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write_atomic(&link, b"secret").unwrap_err();
        assert!(err.contains("symbolic link") && err.contains("must be a regular file"));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let err = write_atomic(dir.path(), b"secret").unwrap_err();
        assert!(err.contains("a directory"), "{err}");
        assert!(check_appendable(dir.path()).is_err());
        assert!(check_appendable(&victim).is_ok());
        assert!(check_dir_writable(&victim).is_ok());
        assert!(check_dir_writable(&dir.path().join("missing/x")).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn append_needs_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("env");
        assert!(append_once(&p, b"x").is_err());
        std::fs::write(&p, "a\n").unwrap();
        append_once(&p, b"b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a\nb\n");
    }
}
