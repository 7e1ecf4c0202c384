/* Classifies stdin with a student directory through the C API: one line in, one
 * "label<TAB>probability" line out (single-sentence models).
 *   classify_c STUDENT_DIR < lines */
#include <bert2bilstm/c_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: classify_c STUDENT_DIR < lines\n");
    return 2;
  }
  b2b_classifier* model = b2b_load(argv[1]);
  if (!model) {
    fprintf(stderr, "error: %s\n", b2b_last_error());
    return 1;
  }
  int k = b2b_num_labels(model);
  float* probabilities = malloc(sizeof(float) * (size_t)k);
  char line[65536];
  int status = 0;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    int label = b2b_classify(model, line, probabilities, NULL);
    if (label < 0) {
      fprintf(stderr, "error: %s\n", b2b_last_error());
      status = 1;
      break;
    }
    printf("%s\t%g\n", b2b_label_name(model, label), probabilities[label]);
  }
  free(probabilities);
  b2b_free(model);
  return status;
}
