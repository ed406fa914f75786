//! Bot definitions in git, normalisation and the diff (`desired`, `diff`, and the
//! `diff` and `validate` commands).

mod commands;
mod edits;
mod exports;
mod gitrepo;
mod hostile;
mod ordering;
mod perturb;
mod properties;
mod roundtrip;
mod support;
