//! SQL identifiers that quote themselves: a schema or table name is an [`Ident`], written into
//! SQL through its `Display`, which double-quotes it (and doubles any quote inside), so no
//! statement depends on a check made elsewhere, and none is edited by text replacement.

use anyhow::{Result, bail};
use std::fmt;

/// One identifier: 1 to 63 bytes (PostgreSQL's limit), no NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident(String);

impl Ident {
    pub fn new(name: &str) -> Result<Ident> {
        if name.is_empty() || name.len() > 63 || name.contains('\0') {
            bail!("{name:?} is not a PostgreSQL identifier (1 to 63 bytes, no NUL)");
        }
        Ok(Ident(name.to_owned()))
    }

    /// A name already checked where it was given (`--schema`, see `PgTarget::parse`): letters,
    /// digits and `_`, at most 63 of them.
    pub(super) fn quoted_unchecked(name: &str) -> Ident {
        Ident(name.to_owned())
    }

    /// `schema.name`, both quoted.
    pub fn table(&self, name: &str) -> Qualified {
        Qualified {
            schema: self.clone(),
            name: Ident(name.to_owned()),
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.replace('"', "\"\""))
    }
}

/// A table named in its schema: `"schema"."name"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualified {
    schema: Ident,
    name: Ident,
}

impl fmt::Display for Qualified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_quote_themselves() {
        let schema = Ident::new("etl \"2026\"").unwrap();
        assert_eq!(schema.to_string(), r#""etl ""2026""""#);
        assert_eq!(
            schema.table("group_chunks").to_string(),
            r#""etl ""2026"""."group_chunks""#
        );
        assert!(Ident::new("").is_err() && Ident::new(&"x".repeat(64)).is_err());
        assert!(Ident::new("a\0b").is_err());
    }
}
