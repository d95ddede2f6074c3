/* The kinds of labelling project (docs/kinds.md). */
#ifndef FL_SCHEMA_KIND_H
#define FL_SCHEMA_KIND_H
#include <stdbool.h>

enum project_kind {
    KIND_TEXT_CLASSIFICATION,
    KIND_TEXT_SPANS,
    KIND_IMAGE_ANNOTATION,
    KIND_LIDAR_CUBOIDS,
    KIND_LLM_COMPARISON,
    KIND_FREE_TEXT,
    KIND__COUNT
};

#define KIND_NAMES "text_classification, text_spans, image_annotation, lidar_cuboids, llm_comparison, free_text"
bool kind_parse(const char *name, enum project_kind *out);
const char *kind_name(enum project_kind k);

#endif
