#include "atlas/rag/documents.hpp"

#include <map>
#include <unordered_map>

#include "atlas/pg/migration.hpp"
#include "atlas/rag/bad_request.hpp"
#include "atlas/rag/source_line.hpp"

namespace atlas::rag {

std::string content_hash(std::string_view text) {
  // The same SHA-256 (OpenSSL EVP) the migration runner uses for checksums.
  return pg::sha256_hex(text);
}

std::string anonymous_source(std::string_view text) {
  return "text:" + content_hash(text).substr(0, 16);
}

namespace {

struct Pending {
  std::string source;
  std::string text;               // whole-document items
  bool pieces = false;            // built from "(Chunk i/n)" pieces
  int count = 0;                  // n of the pieces
  std::map<int, std::string> parts;  // i -> text
};

std::string item_label(std::size_t index) { return "item " + std::to_string(index); }

}  // namespace

std::vector<Document> documents_from_items(std::vector<BatchItem> items) {
  std::vector<Pending> pending;
  std::unordered_map<std::string, std::size_t> by_source;
  for (std::size_t index = 0; index < items.size(); ++index) {
    BatchItem& item = items[index];
    std::string source = std::move(item.source);
    std::string text = std::move(item.text);
    int number = 0;
    int count = 0;
    bool anonymous = false;
    if (item.from_string) {
      SourceLineResult parsed = parse_source_line(text);
      if (!parsed.error.empty()) throw BadRequest(item_label(index) + ": " + parsed.error);
      if (parsed.line) {
        source = std::move(parsed.line->source);
        number = parsed.line->chunk_number;
        count = parsed.line->chunk_count;
        text = std::string(parsed.line->body);
      } else {
        source = anonymous_source(text);
        anonymous = true;
      }
    }

    const auto found = by_source.find(source);
    if (found == by_source.end()) {
      by_source.emplace(source, pending.size());
      Pending p;
      p.source = std::move(source);
      if (number > 0) {
        p.pieces = true;
        p.count = count;
        p.parts.emplace(number, std::move(text));
      } else {
        p.text = std::move(text);
      }
      pending.push_back(std::move(p));
      continue;
    }
    Pending& p = pending[found->second];
    if (anonymous) continue;  // the same text twice: index it once
    if (number == 0 || !p.pieces) {
      throw BadRequest(item_label(index) + ": source '" + p.source +
                       "' appears more than once in this batch: send each source once, or as "
                       "numbered pieces \"SOURCE: <path> (Chunk i/n)\"");
    }
    if (count != p.count) {
      throw BadRequest(item_label(index) + ": source '" + p.source + "' has pieces of " +
                       std::to_string(p.count) + " and of " + std::to_string(count) +
                       " chunks: every piece must give the same n");
    }
    if (!p.parts.emplace(number, std::move(text)).second) {
      throw BadRequest(item_label(index) + ": source '" + p.source + "' has chunk " +
                       std::to_string(number) + " twice");
    }
  }

  std::vector<Document> documents;
  documents.reserve(pending.size());
  for (Pending& p : pending) {
    Document d{std::move(p.source), std::move(p.text)};
    if (p.pieces) {
      for (auto& [number, part] : p.parts) {
        if (!d.text.empty()) d.text += "\n\n";
        d.text += part;
      }
    }
    documents.push_back(std::move(d));
  }
  return documents;
}

}  // namespace atlas::rag
