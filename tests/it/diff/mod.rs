//! Bot definitions in git, normalisation and the diff (`desired`, `diff`, and the
//! `diff` and `validate` commands).

mod exports;
mod perturb;
mod properties;
mod support;
