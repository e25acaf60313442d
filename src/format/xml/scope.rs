//! The namespace prefixes in scope while a document is scanned: what a prefixed name is
//! checked against. Its own file because its cost is its own concern: a lookup must not grow
//! with the number of declarations, however many a crafted start tag holds.

use std::collections::HashMap;

/// A prefix declared by `xmlns:prefix="uri"` (the value as written).
struct Binding<'a> {
    prefix: &'a [u8],
    uri: &'a [u8],
    /// The binding of the same prefix this one hides, back in force when this one ends.
    hides: Option<usize>,
}

/// The namespace prefixes in scope: the bindings in declaration order (an element's end drops
/// its own, the last ones) and, past [`Scope::FEW`] of them, a map from each prefix to its
/// innermost binding, so that a lookup costs the same however many prefixes are declared. (A
/// scan of the bindings made a start tag of 60,000 declarations and 60,000 prefixed attributes
/// quadratic: 18 s for 2 MB.) Up to [`Scope::FEW`], what every real document has, a scan is
/// cheaper than hashing: a CFDI, prefixed throughout, read 10% slower with the map alone. The
/// map hashes with std's randomly keyed SipHash, so crafted prefixes cannot all collide.
#[derive(Default)]
pub(super) struct Scope<'a> {
    bindings: Vec<Binding<'a>>,
    /// Empty while there are at most [`Scope::FEW`] bindings.
    innermost: HashMap<&'a [u8], usize>,
}

impl<'a> Scope<'a> {
    /// Bindings looked up by a scan rather than the map.
    const FEW: usize = 16;

    /// How many bindings are in scope: what [`Scope::truncate`] returns to.
    pub(super) fn len(&self) -> usize {
        self.bindings.len()
    }

    /// Bind `prefix` to `uri` (as written), hiding any outer binding of it.
    pub(super) fn declare(&mut self, prefix: &'a [u8], uri: &'a [u8]) {
        let at = self.bindings.len();
        self.bindings.push(Binding {
            prefix,
            uri,
            hides: None,
        });
        if at == Scope::FEW {
            // The map starts: every binding so far goes in, in order.
            for (i, b) in self.bindings.iter_mut().enumerate() {
                b.hides = self.innermost.insert(b.prefix, i);
            }
        } else if at > Scope::FEW {
            self.bindings[at].hides = self.innermost.insert(prefix, at);
        }
    }

    /// The namespace name (as written) `prefix` is bound to; `None` when undeclared.
    #[inline]
    pub(super) fn uri(&self, prefix: &[u8]) -> Option<&'a [u8]> {
        if self.bindings.len() <= Scope::FEW {
            return self
                .bindings
                .iter()
                .rev()
                .find(|b| b.prefix == prefix)
                .map(|b| b.uri);
        }
        self.innermost.get(prefix).map(|&i| self.bindings[i].uri)
    }

    /// Drop the bindings declared after the first `len`, restoring what they hid.
    #[inline]
    pub(super) fn truncate(&mut self, len: usize) {
        if self.bindings.len() <= Scope::FEW {
            self.bindings.truncate(len);
            return;
        }
        if len <= Scope::FEW {
            self.innermost.clear();
            self.bindings.truncate(len);
            return;
        }
        while self.bindings.len() > len {
            let Some(gone) = self.bindings.pop() else {
                break;
            };
            match gone.hides {
                Some(outer) => self.innermost.insert(gone.prefix, outer),
                None => self.innermost.remove(gone.prefix),
            };
        }
    }
}
