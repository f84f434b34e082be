/* libarchive, for reading pulled image layers (tar only; Artifacts' TarReader is the one importer). */
#include <archive.h>
#include <archive_entry.h>
