//! Owned records decoded in place, for the console: its tail reads on a thread of its own and
//! decodes there (registry requests block), so the console's pure core gets records that
//! already carry their decoded key and value.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Decoder, Outcome, Part, Schema};
use crate::record::{FieldDecoding, OwnedRecord, RecordDecoding, SchemaMeta};

/// A tail's decoder, and each schema's metadata shared by every record read with it.
pub struct RecordDecoder {
    decoder: Decoder,
    /// By the schema's address; the schema is kept so that no address is reused.
    metas: HashMap<usize, (Arc<Schema>, Arc<SchemaMeta>)>,
    buf: Vec<u8>,
}

impl RecordDecoder {
    pub fn new(decoder: Decoder) -> Self {
        RecordDecoder {
            decoder,
            metas: HashMap::new(),
            buf: Vec::new(),
        }
    }

    /// Sets `r.decoded` when a schema applies to its key or value.
    pub fn decode(&mut self, r: &mut OwnedRecord) {
        let key = self.field(Part::Key, r.key.as_deref());
        let value = self.field(Part::Value, r.value.as_deref());
        let d = RecordDecoding { key, value };
        r.decoded = (!d.is_empty()).then(|| Box::new(d));
    }

    fn field(&mut self, part: Part, bytes: Option<&[u8]>) -> Option<FieldDecoding> {
        let bytes = bytes?;
        self.buf.clear();
        match self.decoder.decode(part, bytes, &mut self.buf) {
            Outcome::Plain => None,
            Outcome::Failed(why) => Some(FieldDecoding::Failed(why)),
            Outcome::Decoded(schema) => {
                let text = match String::from_utf8(std::mem::take(&mut self.buf)) {
                    Ok(t) => t,
                    // The decoders write JSON text; anything else is a bug shown as one.
                    Err(_) => {
                        return Some(FieldDecoding::Failed(
                            "internal error: the decoder wrote invalid UTF-8".into(),
                        ))
                    }
                };
                let meta = self
                    .metas
                    .entry(Arc::as_ptr(&schema) as usize)
                    .or_insert_with(|| (schema.clone(), Arc::new(schema.meta.clone())))
                    .1
                    .clone();
                Some(FieldDecoding::Json { text, schema: meta })
            }
        }
    }
}
