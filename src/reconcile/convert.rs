//! The platform's export archive, as the same `BotFiles` a commit yields, so
//! one normalisation serves both sides of every comparison.

use crate::desired::{BotFiles, DefinitionName};
use crate::platform::ExportArchive;

impl From<ExportArchive> for BotFiles {
    fn from(archive: ExportArchive) -> BotFiles {
        BotFiles {
            // The archive reader accepts only the two definition names.
            definition_name: DefinitionName::from_file_name(&archive.definition_name)
                .unwrap_or_default(),
            definition: archive.definition,
            config: archive.config,
            icon: archive.icon,
            functions: archive.functions,
        }
    }
}
