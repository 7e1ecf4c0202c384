/* bert2bilstm's C API: load a distilled student and classify text, from C or through any
 * foreign-function interface (Python's ctypes, Go's cgo, Rust's extern "C").
 *
 *   b2b_classifier* model = b2b_load("runs/distill/student");
 *   if (!model) { fprintf(stderr, "%s\n", b2b_last_error()); return 1; }
 *   int label = b2b_classify(model, "a gripping film", NULL, NULL);
 *   printf("%s\n", b2b_label_name(model, label));
 *   b2b_free(model);
 *
 * Errors: functions that can fail return NULL or -1 and leave one line describing the
 * failure in b2b_last_error() (per thread, valid until the thread's next call). Nothing
 * here aborts the process or throws through the C boundary.
 * Thread safety: a loaded model may be used from any number of threads at once.
 * Texts are NUL-terminated UTF-8; invalid UTF-8 is an error. */
#ifndef BERT2BILSTM_C_API_H
#define BERT2BILSTM_C_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct b2b_classifier b2b_classifier;

/* Loads a student directory; NULL on failure. threads: for b2b_classify_batch (1: the
 * calling thread only). */
b2b_classifier* b2b_load(const char* directory);
b2b_classifier* b2b_load_with(const char* directory, size_t max_batch, int threads);
void b2b_free(b2b_classifier* model);

int b2b_num_labels(const b2b_classifier* model);
/* The name of label `id`, owned by the model; NULL when out of range. */
const char* b2b_label_name(const b2b_classifier* model, int id);
/* 1 for a model of sentence pairs, 0 for single sentences. */
int b2b_is_pair(const b2b_classifier* model);

/* Classifies one text (text_b NULL) or pair; returns the label id, or -1 on error.
 * probabilities and logits, when not NULL, receive b2b_num_labels() floats each. */
int b2b_classify(const b2b_classifier* model, const char* text, float* probabilities,
                 float* logits);
int b2b_classify_pair(const b2b_classifier* model, const char* text_a, const char* text_b,
                      float* probabilities, float* logits);
/* n texts (texts_b NULL) or pairs at once; labels (n ints) and logits (n x num_labels floats,
 * optional) receive the results. Returns 0, or -1 on error. */
int b2b_classify_batch(const b2b_classifier* model, const char* const* texts,
                       const char* const* texts_b, size_t n, int* labels, float* logits);

/* The last error on this thread ("" when none). */
const char* b2b_last_error(void);
/* The library's version, "MAJOR.MINOR.PATCH". */
const char* b2b_version(void);

#ifdef __cplusplus
}
#endif

#endif
