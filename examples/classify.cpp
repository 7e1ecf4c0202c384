// Classifies stdin with a student directory through the C++ API: one line in, one
// "label<TAB>probability" line out. Pair models read text_a<TAB>text_b.
//   classify STUDENT_DIR < lines
#include <bert2bilstm/classifier.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classify STUDENT_DIR < lines\n";
    return 2;
  }
  try {
    const auto model = b2b::Classifier::load(argv[1]);
    std::string line;
    while (std::getline(std::cin, line)) {
      b2b::Prediction p;
      if (model->is_pair()) {
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) throw b2b::Error("a pair model needs text_a<TAB>text_b");
        p = model->classify(b2b::TextPair{line.substr(0, tab), line.substr(tab + 1)});
      } else {
        p = model->classify(line);
      }
      std::cout << model->labels()[p.label] << '\t' << p.probabilities[p.label] << '\n';
    }
  } catch (const b2b::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
