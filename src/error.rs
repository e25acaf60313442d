//! Per-file failures as values: a stable snake_case `error_type` that users can group and script
//! on, plus a human message. They go to the ledger and the report; they never stop a batch.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why one file failed. The snake_case names are a public, stable interface: they are stored in
/// the ledger, printed in reports and matched by users' scripts. Add variants; never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The file or ZIP member could not be read (permissions, vanished, I/O error).
    IoError,
    /// Zero bytes.
    EmptyFile,
    /// A ZIP archive or member that cannot be decoded (bad headers, CRC mismatch, bad deflate).
    ZipCorrupt,
    /// A ZIP member that inflates past its declared size, the size limits, or a sane ratio.
    ZipBomb,
    /// A ZIP member named to escape a folder (`..`, absolute, NUL): reported, never read.
    ZipBadName,
    /// An encrypted ZIP member.
    ZipEncrypted,
    /// A file or member over `--max-file-size`.
    TooLarge,
    /// A file that took longer than `--file-timeout`.
    Timeout,
    /// XML with a DOCTYPE or entity declarations: rejected, never expanded.
    XmlDoctypeRejected,
    /// XML nested deeper than batchimp's limit.
    XmlTooDeep,
    /// An XML start tag with more attributes, or more namespace declarations in scope, than
    /// batchimp's limit (10,000).
    XmlTooComplex,
    /// XML that is not well-formed.
    XmlMalformed,
    /// XML that ends before its root element closes.
    XmlTruncated,
    /// Bytes that are not valid in the declared (or default UTF-8) encoding, or an unknown encoding.
    XmlEncoding,
    /// An NF-e without an access key (`infNFe/@Id`).
    NfeMissingKey,
    /// An access key that is not 44 digits.
    NfeInvalidKey,
    /// A 44-digit access key whose mod-11 check digit is wrong (SEFAZ rejection 253).
    NfeBadCheckDigit,
    /// A field whose value does not fit its column (a letter in an amount, say).
    NfeInvalidField,
    /// A CFDI without a PAC's stamp (`TimbreFiscalDigital` with a UUID): not a fiscal document yet.
    CfdiNotStamped,
    /// A CFDI whose stamp UUID is not 8-4-4-4-12 hexadecimal digits.
    CfdiInvalidUuid,
    /// A CFDI whose issuer or receiver RFC is missing or not an RFC.
    CfdiInvalidRfc,
    /// A CFDI value that does not fit its column (a letter in an amount, say).
    CfdiInvalidField,
    /// A CFDI of a version batchimp does not read (before 3.2).
    CfdiUnsupportedVersion,
    /// A catalog row without a SKU.
    CatalogMissingSku,
    /// A catalog row without a product name.
    CatalogMissingName,
    /// A catalog row whose price is missing, negative, or not a number in its column's decimal
    /// convention.
    CatalogBadPrice,
    /// A catalog row whose stock or lead time is not a number.
    CatalogBadNumber,
    /// A catalog row with more or fewer fields than its header (an unquoted delimiter).
    CatalogFieldCount,
    /// A catalog none of whose rows is valid.
    CatalogNoValidRows,
    /// A catalog whose rows cannot be told apart: a record over 1 MiB (a quote never closed).
    CatalogMalformed,
    /// A catalog row whose `supplier_id` is not the one `--supplier` names.
    CatalogSupplierMismatch,
    /// Not an error: a catalog row whose key a later row of the same file has (the later row
    /// wins); listed with the rejected rows so that it is named.
    CatalogDuplicateInFile,
    /// A catalog row that leaves a `--require`d field empty.
    CatalogMissingField,
    /// A catalog whose header has no column for a `--require`d field.
    CatalogMissingColumn,
    /// A workbook without the sheet `--sheet` names.
    CatalogSheetNotFound,
    /// A password-protected (encrypted) spreadsheet: it cannot be read without the password.
    XlsxEncrypted,
    /// A spreadsheet that cannot be read: a truncated or damaged workbook, a part that is not the
    /// XML it should be, or counts it does not hold.
    XlsxCorrupt,
    /// A document whose key is already stored with other content, under `--on-conflict fail`.
    KeyConflict,
    /// A PDF encrypted with a user password (one that opens without a password is read).
    PdfEncrypted,
    /// A PDF that cannot be read: damaged, truncated, or one that crashed the PDF reader.
    PdfCorrupt,
    /// A picture (JPEG, PNG, TIFF, WebP) that cannot be decoded: truncated, damaged, or one
    /// that crashed its reader.
    ImageCorrupt,
    /// Tesseract crashed on a page (killed by a signal, out of its memory limit).
    OcrFailed,
    /// A bug in batchimp: a parser panicked. The batch goes on.
    InternalError,
    /// A value too long for what it is: a key, a UUID, a SKU or another value of an indexed
    /// column over [`crate::schema::MAX_INDEXED_BYTES`], or a ZIP member's name over
    /// [`crate::schema::MAX_NAME_BYTES`]. For a catalog, the row's error.
    ValueTooLong,
    /// `batchimp reparse`: an archived original that cannot be read back (damaged: it does
    /// not decompress, or its bytes no longer match their SHA-256; or stored in a form a
    /// newer batchimp wrote).
    OriginalUnreadable,
    /// A CT-e or CT-e OS without an access key (`infCte/@Id`), or a CT-e event without its key
    /// fields (`chCTe`, `tpEvento`, `nSeqEvento`).
    CteMissingKey,
    /// A CT-e access key that is not 44 digits, or whose model is not 57 (CT-e) or 67 (CT-e OS).
    CteInvalidKey,
    /// A CT-e access key whose mod-11 check digit is wrong.
    CteBadCheckDigit,
    /// A CT-e value that does not fit its column (a letter in an amount, say).
    CteInvalidField,
    /// An MDF-e without an access key (`infMDFe/@Id`), or an MDF-e event without its key
    /// fields (`chMDFe`, `tpEvento`, `nSeqEvento`).
    MdfeMissingKey,
    /// An MDF-e access key that is not 44 digits, or whose model is not 58.
    MdfeInvalidKey,
    /// An MDF-e access key whose mod-11 check digit is wrong.
    MdfeBadCheckDigit,
    /// An MDF-e value that does not fit its column (a letter in an amount, say).
    MdfeInvalidField,
    /// An NFS-e (national layout) without its access key (`infNFSe/@Id`), or an NFS-e event
    /// without its key fields (`chNFSe`, the event's type, `nPedRegEvento`).
    NfseMissingKey,
    /// An NFS-e access key that is not 50 digits.
    NfseInvalidKey,
    /// An NFS-e access key whose mod-11 check digit is wrong.
    NfseBadCheckDigit,
    /// An NFS-e value that does not fit its column (a letter in an amount, say).
    NfseInvalidField,
    /// A line of SAT metadata whose `Uuid` is not 8-4-4-4-12 hexadecimal digits.
    SatMetadataInvalidUuid,
    /// A line of SAT metadata with a value that does not fit its column (a letter in
    /// `Monto`, an `Estatus` other than 0 or 1).
    SatMetadataInvalidField,
    /// A line of SAT metadata with more or fewer fields than its header.
    SatMetadataFieldCount,
    /// SAT metadata none of whose lines is valid.
    SatMetadataNoValidRows,
    /// A municipal (ABRASF) NFS-e without what identifies it: its number (`InfNfse/Numero`),
    /// its municipality (`OrgaoGerador/CodigoMunicipio`, else the provider's address's) or its
    /// provider's CNPJ, CPF or inscrição municipal; a cancellation without them; or a file
    /// holding neither an NFS-e nor a confirmed cancellation.
    NfseAbrasfMissingKey,
    /// A municipal (ABRASF) NFS-e identified by a municipality code that is not 7 digits, a
    /// provider's CNPJ that is not 14 digits or CPF that is not 11, or a number below zero.
    NfseAbrasfInvalidKey,
    /// A municipal (ABRASF) NFS-e value that does not fit its column (a letter in an amount,
    /// say).
    NfseAbrasfInvalidField,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::IoError => "io_error",
            ErrorType::EmptyFile => "empty_file",
            ErrorType::ZipCorrupt => "zip_corrupt",
            ErrorType::ZipBomb => "zip_bomb",
            ErrorType::ZipBadName => "zip_bad_name",
            ErrorType::ZipEncrypted => "zip_encrypted",
            ErrorType::TooLarge => "too_large",
            ErrorType::Timeout => "timeout",
            ErrorType::XmlDoctypeRejected => "xml_doctype_rejected",
            ErrorType::XmlTooDeep => "xml_too_deep",
            ErrorType::XmlTooComplex => "xml_too_complex",
            ErrorType::XmlMalformed => "xml_malformed",
            ErrorType::XmlTruncated => "xml_truncated",
            ErrorType::XmlEncoding => "xml_encoding",
            ErrorType::NfeMissingKey => "nfe_missing_key",
            ErrorType::NfeInvalidKey => "nfe_invalid_key",
            ErrorType::NfeBadCheckDigit => "nfe_bad_check_digit",
            ErrorType::NfeInvalidField => "nfe_invalid_field",
            ErrorType::CfdiNotStamped => "cfdi_not_stamped",
            ErrorType::CfdiInvalidUuid => "cfdi_invalid_uuid",
            ErrorType::CfdiInvalidRfc => "cfdi_invalid_rfc",
            ErrorType::CfdiInvalidField => "cfdi_invalid_field",
            ErrorType::CfdiUnsupportedVersion => "cfdi_unsupported_version",
            ErrorType::CatalogMissingSku => "catalog_missing_sku",
            ErrorType::CatalogMissingName => "catalog_missing_name",
            ErrorType::CatalogBadPrice => "catalog_bad_price",
            ErrorType::CatalogBadNumber => "catalog_bad_number",
            ErrorType::CatalogFieldCount => "catalog_field_count",
            ErrorType::CatalogNoValidRows => "catalog_no_valid_rows",
            ErrorType::CatalogMalformed => "catalog_malformed",
            ErrorType::CatalogSheetNotFound => "catalog_sheet_not_found",
            ErrorType::CatalogSupplierMismatch => "catalog_supplier_mismatch",
            ErrorType::CatalogDuplicateInFile => "catalog_duplicate_in_file",
            ErrorType::CatalogMissingField => "catalog_missing_field",
            ErrorType::CatalogMissingColumn => "catalog_missing_column",
            ErrorType::XlsxEncrypted => "xlsx_encrypted",
            ErrorType::XlsxCorrupt => "xlsx_corrupt",
            ErrorType::KeyConflict => "key_conflict",
            ErrorType::PdfEncrypted => "pdf_encrypted",
            ErrorType::PdfCorrupt => "pdf_corrupt",
            ErrorType::ImageCorrupt => "image_corrupt",
            ErrorType::OcrFailed => "ocr_failed",
            ErrorType::InternalError => "internal_error",
            ErrorType::ValueTooLong => "value_too_long",
            ErrorType::OriginalUnreadable => "original_unreadable",
            ErrorType::CteMissingKey => "cte_missing_key",
            ErrorType::CteInvalidKey => "cte_invalid_key",
            ErrorType::CteBadCheckDigit => "cte_bad_check_digit",
            ErrorType::CteInvalidField => "cte_invalid_field",
            ErrorType::MdfeMissingKey => "mdfe_missing_key",
            ErrorType::MdfeInvalidKey => "mdfe_invalid_key",
            ErrorType::MdfeBadCheckDigit => "mdfe_bad_check_digit",
            ErrorType::MdfeInvalidField => "mdfe_invalid_field",
            ErrorType::NfseMissingKey => "nfse_missing_key",
            ErrorType::NfseInvalidKey => "nfse_invalid_key",
            ErrorType::NfseBadCheckDigit => "nfse_bad_check_digit",
            ErrorType::NfseInvalidField => "nfse_invalid_field",
            ErrorType::SatMetadataInvalidUuid => "sat_metadata_invalid_uuid",
            ErrorType::SatMetadataInvalidField => "sat_metadata_invalid_field",
            ErrorType::SatMetadataFieldCount => "sat_metadata_field_count",
            ErrorType::SatMetadataNoValidRows => "sat_metadata_no_valid_rows",
            ErrorType::NfseAbrasfMissingKey => "nfse_abrasf_missing_key",
            ErrorType::NfseAbrasfInvalidKey => "nfse_abrasf_invalid_key",
            ErrorType::NfseAbrasfInvalidField => "nfse_abrasf_invalid_field",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file's failure. `message` says what is wrong; the pipeline prefixes it with the file's
/// origin before it reaches the ledger, so parsers need not know where their bytes came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub error_type: ErrorType,
    pub message: String,
}

impl FileError {
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> FileError {
        FileError {
            error_type,
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}
