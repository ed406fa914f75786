//! Bot definitions in git, normalisation and the diff (`desired`, `diff`, and the
//! `diff` and `validate` commands).

mod commands;
mod exports;
mod gitrepo;
mod hostile;
mod perturb;
mod properties;
mod support;
