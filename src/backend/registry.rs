//! The `engines!` macro: from the one list of engines in `backend/mod.rs` it declares each
//! engine's module, the [`Engine`](super::Engine) enum, `Engine::ALL`, and the dispatch from an
//! `Engine` to its [`Backend`](super::Backend) implementation. The CLI's `--target` values, the
//! renderer's template list, the code table and every test that iterates `Engine::ALL` follow.

/// `engines! { /// doc  module::Type, … }`: `module` is `src/backend/<module>/`, `Type` its
/// `Backend` and the `Engine` variant's name. The order is the output order of `--target all`.
macro_rules! engines {
    ($($(#[$doc:meta])* $module:ident :: $ty:ident,)+) => {
        $(pub mod $module;)+

        /// A target engine.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Engine {
            $($(#[$doc])* $ty,)+
        }

        impl Engine {
            /// Every engine, in output order. Tests iterate this, so a new engine is tested at once.
            pub const ALL: &'static [Engine] = &[$(Engine::$ty,)+];

            /// The engine's name everywhere: CLI value, module, template folder, snapshot name,
            /// warning-code prefix.
            pub fn name(self) -> &'static str {
                match self {
                    $(Engine::$ty => <$module::$ty as Backend>::NAME,)+
                }
            }

            /// The engine's templates: (file name in `templates/<name>/`, source).
            pub fn templates(self) -> &'static [(&'static str, &'static str)] {
                match self {
                    $(Engine::$ty => <$module::$ty as Backend>::TEMPLATES,)+
                }
            }

            /// Suffixes of the files this engine writes only for some inputs: a copy left from
            /// an earlier compile would describe a pipeline that no longer exists.
            pub fn optional_suffixes(self) -> &'static [&'static str] {
                match self {
                    $(Engine::$ty => <$module::$ty as Backend>::OPTIONAL_FILES,)+
                }
            }

            /// The engine's warning and error codes.
            pub fn codes(self) -> &'static [crate::diagnostic::Code] {
                match self {
                    $(Engine::$ty => <$module::$ty as Backend>::CODES,)+
                }
            }

            /// Lower `pipeline` and lay out the documents of its output (not rendered yet).
            pub fn documents(
                self,
                pipeline: &Pipeline,
                opts: &EngineOptions,
                warnings: &mut Vec<Warning>,
            ) -> Result<Vec<Document>> {
                match self {
                    $(Engine::$ty => {
                        let context = <$module::$ty as Backend>::lower(pipeline, opts, warnings)?;
                        Ok(<$module::$ty as Backend>::documents(&context))
                    })+
                }
            }

            /// Engine from its name (`argo`).
            pub fn from_name(name: &str) -> Option<Engine> {
                Engine::ALL.iter().copied().find(|e| e.name() == name)
            }
        }
    };
}

/// `templates!("argo": "workflow.yaml.j2", …)`: the sources of `templates/argo/…`, built in.
macro_rules! templates {
    ($engine:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $engine, "/", $file))),)+]
    };
}
