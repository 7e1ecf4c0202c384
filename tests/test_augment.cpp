// Statistical tests of the augmentation rules (METHOD.md section 4), with fixed seeds, large
// samples and tolerances from binomial and chi-square bounds (false-alarm rate ~1e-6 each).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "augment/augmenter.h"
#include "test_util.h"

namespace b2b {
namespace {

// Tag t's words are "t<tag>w<i>" with count i + 1, so replacements can be traced to a tag.
TagUnigrams make_unigrams(int tags, int words_per_tag) {
  TagUnigrams unigrams(tags);
  for (int t = 0; t < tags; ++t) {
    for (int i = 0; i < words_per_tag; ++i) {
      const std::vector<std::string> words(i + 1,
                                           "t" + std::to_string(t) + "w" + std::to_string(i));
      unigrams.add(words, std::vector<int>(i + 1, t));
    }
  }
  unigrams.finalize();
  return unigrams;
}

TaggedWords sentence(int length, int tags) {
  TaggedWords s;
  for (int i = 0; i < length; ++i) {
    s.words.push_back("orig" + std::to_string(i));
    s.tags.push_back(i % tags);
  }
  return s;
}

// |observed - n p| within 5 binomial standard deviations.
void expect_rate(int64_t observed, int64_t n, double p, const char* what) {
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::abs(observed - n * p), 5 * sd)
      << what << ": " << observed << " of " << n << ", expected p " << p;
}

double chi_square(const std::vector<int64_t>& observed, const std::vector<double>& p) {
  int64_t n = 0;
  for (auto o : observed) n += o;
  double chi = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double e = n * p[i];
    chi += (observed[i] - e) * (observed[i] - e) / e;
  }
  return chi;
}

// Upper 1e-6 quantiles of chi-square with df degrees of freedom.
double chi_square_limit(int df) {
  static const std::map<int, double> limits = {{2, 27.63}, {3, 30.66}, {4, 33.38}, {8, 44.08}};
  return limits.at(df);
}

TEST(Augment, MaskAndReplacementRatesAndTags) {
  const TagUnigrams unigrams = make_unigrams(4, 4);
  const TaggedWords s = sentence(20, 4);
  AugmentOptions options;
  options.p_ng = 0;
  int64_t words = 0, masked = 0, replaced = 0;
  for (uint64_t e = 0; e < 10000; ++e) {
    AugmentRng rng(7, e);
    SampleTrace trace;
    const auto out = augment_sentence(s, unigrams, options, rng, &trace);
    ASSERT_EQ(out.size(), s.words.size());
    for (size_t i = 0; i < out.size(); ++i) {
      ++words;
      if (trace.actions[i] == WordAction::kMask) {
        ++masked;
        EXPECT_EQ(out[i], "[MASK]");
      } else if (trace.actions[i] == WordAction::kReplace) {
        ++replaced;
        // Drawn from the original word's own tag.
        EXPECT_EQ(out[i].substr(0, 3), "t" + std::to_string(s.tags[i]) + "w");
      } else {
        EXPECT_EQ(out[i], s.words[i]);
      }
    }
  }
  expect_rate(masked, words, 0.1, "mask rate");
  expect_rate(replaced, words, 0.1, "replacement rate");
}

TEST(Augment, ReplacementsFollowTheTagsUnigramDistribution) {
  const TagUnigrams unigrams = make_unigrams(1, 4);  // counts 1, 2, 3, 4
  std::map<std::string, int64_t> counts;
  for (uint64_t i = 0; i < 40000; ++i) {
    AugmentRng rng(3, i);
    ++counts[unigrams.sample(0, rng.uniform())];
  }
  ASSERT_EQ(counts.size(), 4u);
  const std::vector<int64_t> observed = {counts["t0w0"], counts["t0w1"], counts["t0w2"],
                                         counts["t0w3"]};
  EXPECT_LT(chi_square(observed, {0.1, 0.2, 0.3, 0.4}), chi_square_limit(3));
}

TEST(Augment, NgramRateLengthsAndStarts) {
  const TagUnigrams unigrams = make_unigrams(2, 2);
  const TaggedWords s = sentence(10, 2);
  AugmentOptions options;
  options.p_mask = options.p_pos = 0;
  int64_t samples = 0, ngrams = 0;
  std::vector<int64_t> lengths(5, 0), starts_for_2(9, 0);
  for (uint64_t e = 0; e < 40000; ++e) {
    AugmentRng rng(11, e);
    SampleTrace trace;
    const auto out = augment_sentence(s, unigrams, options, rng, &trace);
    ++samples;
    if (!trace.ngram) {
      EXPECT_EQ(out.size(), 10u);
      continue;
    }
    ++ngrams;
    ASSERT_GE(trace.ngram_length, 1u);
    ASSERT_LE(trace.ngram_length, 5u);
    ++lengths[trace.ngram_length - 1];
    EXPECT_EQ(out.size(), trace.ngram_length);
    EXPECT_EQ(out[0], s.words[trace.ngram_start]);
    if (trace.ngram_length == 2) ++starts_for_2[trace.ngram_start];
  }
  expect_rate(ngrams, samples, 0.25, "n-gram rate");
  EXPECT_LT(chi_square(lengths, std::vector<double>(5, 0.2)), chi_square_limit(4));
  // Every valid start, the last window included (the original code never picked it).
  EXPECT_GT(starts_for_2[8], 0);
  EXPECT_LT(chi_square(starts_for_2, std::vector<double>(9, 1.0 / 9)), chi_square_limit(8));
}

TEST(Augment, ShortSentencesAreKeptWholeByTheNgramRule) {
  const TagUnigrams unigrams = make_unigrams(1, 1);
  const TaggedWords s = sentence(3, 1);
  AugmentOptions options;
  options.p_mask = options.p_pos = 0;
  options.p_ng = 1;
  for (uint64_t e = 0; e < 2000; ++e) {
    AugmentRng rng(5, e);
    SampleTrace trace;
    const auto out = augment_sentence(s, unigrams, options, rng, &trace);
    // n in {1, 2} cuts; n in {3, 4, 5} keeps all three words
    EXPECT_EQ(out.size(), trace.ngram_length);
    if (trace.ngram_length == 3) {
      EXPECT_EQ(out, s.words);
    }
  }
}

TEST(Augment, PairModesAreAThirdEach) {
  const TagUnigrams unigrams = make_unigrams(3, 3);
  const TaggedWords a = sentence(40, 3), b = sentence(40, 3);
  AugmentOptions options;
  options.n_iter = 10;
  options.p_ng = 0;  // long sentences, no n-grams: duplicates (which would bias modes) are ~1e-4
  std::vector<int64_t> modes(3, 0);
  for (uint64_t e = 0; e < 3000; ++e) {
    for (const auto& sample : augment_example(a, &b, unigrams, options, e)) ++modes[sample.mode];
  }
  EXPECT_LT(chi_square(modes, {1.0 / 3, 1.0 / 3, 1.0 / 3}), chi_square_limit(2));
}

TEST(Augment, NoDuplicatesNoOriginalsNoFullyReplacedSamples) {
  const TagUnigrams unigrams = make_unigrams(2, 2);
  const TaggedWords s = sentence(4, 2);
  AugmentOptions options;
  options.n_iter = 50;
  for (uint64_t e = 0; e < 200; ++e) {
    const auto samples = augment_example(s, nullptr, unigrams, options, e);
    std::set<std::string> seen;
    for (const auto& sample : samples) {
      EXPECT_TRUE(seen.insert(sample.a).second) << sample.a;
      EXPECT_NE(sample.a, "orig0 orig1 orig2 orig3");
    }
    EXPECT_EQ(samples,
              augment_example(s, nullptr, unigrams, options, e));  // same seed, same output
  }
  options.p_mask = 1;  // every word masked: every sample is fully replaced
  options.p_pos = 0;
  EXPECT_TRUE(augment_example(sentence(1, 1), nullptr, unigrams, options, 0).empty());
}

}  // namespace
}  // namespace b2b
