//! The secrets file: credentials `soc setup` creates, kept in a TOML file only its owner may read
//! (mode 0600), one table per service (`[thehive] "svc@soc.local" = "..."`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

/// What can go wrong reading or writing the secrets file.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The file could not be read or written.
    #[error("secrets file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a table of tables of strings.
    #[error("secrets file {path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Someone else may read it.
    #[error("secrets file {path} is readable by others (mode {mode:o}): chmod 600 it")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
}

/// The secrets file's content; saved with [`Secrets::save`] only when something changed.
pub struct Secrets {
    path: PathBuf,
    tables: BTreeMap<String, BTreeMap<String, SecretString>>,
    dirty: bool,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: BTreeMap<&String, Vec<&String>> = self
            .tables
            .iter()
            .map(|(k, v)| (k, v.keys().collect()))
            .collect();
        f.debug_struct("Secrets")
            .field("path", &self.path)
            .field("names", &names)
            .finish()
    }
}

impl Secrets {
    /// Reads the file; a missing file is an empty store.
    pub fn open(path: impl AsRef<Path>) -> Result<Secrets, SecretsError> {
        let path = path.as_ref().to_path_buf();
        let mut tables = BTreeMap::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let mode = std::fs::metadata(&path)
                        .map_err(|source| SecretsError::Io {
                            path: path.clone(),
                            source,
                        })?
                        .permissions()
                        .mode();
                    if mode & 0o077 != 0 {
                        return Err(SecretsError::Permissions {
                            path,
                            mode: mode & 0o777,
                        });
                    }
                }
                let value: toml::Table =
                    toml::from_str(&text).map_err(|e| SecretsError::Format {
                        path: path.clone(),
                        message: e.message().to_owned(),
                    })?;
                for (section, entries) in value {
                    let toml::Value::Table(entries) = entries else {
                        return Err(SecretsError::Format {
                            path,
                            message: format!("{section}: expected a table"),
                        });
                    };
                    let mut map = BTreeMap::new();
                    for (name, v) in entries {
                        let toml::Value::String(s) = v else {
                            return Err(SecretsError::Format {
                                path,
                                message: format!("{section}.{name}: expected a string"),
                            });
                        };
                        map.insert(name, SecretString::from(s));
                    }
                    tables.insert(section, map);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SecretsError::Io { path, source }),
        }
        Ok(Secrets {
            path,
            tables,
            dirty: false,
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A stored secret.
    pub fn get(&self, section: &str, name: &str) -> Option<SecretString> {
        self.tables.get(section).and_then(|t| t.get(name)).cloned()
    }

    /// Stores a secret (written by [`Secrets::save`]).
    pub fn set(&mut self, section: &str, name: &str, value: SecretString) {
        let same = self
            .get(section, name)
            .is_some_and(|old| old.expose_secret() == value.expose_secret());
        if !same {
            self.tables
                .entry(section.to_owned())
                .or_default()
                .insert(name.to_owned(), value);
            self.dirty = true;
        }
    }

    /// Forgets a secret (written by [`Secrets::save`]); an emptied table goes too.
    pub fn remove(&mut self, section: &str, name: &str) {
        if let Some(t) = self.tables.get_mut(section) {
            if t.remove(name).is_some() {
                self.dirty = true;
            }
            if t.is_empty() {
                self.tables.remove(section);
            }
        }
    }

    /// Whether [`Secrets::save`] has something to write.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes the file (0600, replaced whole) when something changed.
    pub fn save(&mut self) -> Result<(), SecretsError> {
        if !self.dirty {
            return Ok(());
        }
        let mut out = String::from(
            "# Credentials created by `soc setup`. Keep this file private (mode 0600).\n",
        );
        for (section, entries) in &self.tables {
            out.push_str(&format!("\n[{section}]\n"));
            for (name, value) in entries {
                let line =
                    toml::to_string(&BTreeMap::from([(name.as_str(), value.expose_secret())]))
                        .map_err(|e| SecretsError::Format {
                            path: self.path.clone(),
                            message: e.to_string(),
                        })?;
                out.push_str(&line);
            }
        }
        let io = |source| SecretsError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("tmp");
        {
            use std::io::Write as _;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp).map_err(io)?;
            f.write_all(out.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_private_and_only_when_changed() {
        let dir = std::env::temp_dir().join(format!("soc-secrets-{}", std::process::id()));
        let path = dir.join("s.toml");
        let mut s = Secrets::open(&path).expect("missing is empty");
        assert!(s.get("misp", "a").is_none());
        s.set("misp", "thehive@soc.local", SecretString::from("k\"ey=1"));
        assert!(s.is_dirty());
        s.save().expect("save");
        let again = Secrets::open(&path).expect("open");
        assert_eq!(
            again
                .get("misp", "thehive@soc.local")
                .map(|k| k.expose_secret().to_owned()),
            Some("k\"ey=1".into())
        );
        assert!(!format!("{again:?}").contains("ey=1"));
        let mut again = again;
        again.set("misp", "thehive@soc.local", SecretString::from("k\"ey=1"));
        assert!(!again.is_dirty(), "same value, nothing to write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(
                Secrets::open(&path),
                Err(SecretsError::Permissions { .. })
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
