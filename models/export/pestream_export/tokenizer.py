"""tokenizer.json for random-init bundles (a checkpoint's own tokenizer.json is copied as is).

A small WordPiece tokenizer in ModernBERT's shape ([CLS] text [SEP], [PAD]), whose special-token ids
are the text config's own cls/sep/pad ids, so the random text tower sees the ids it was built for.
It is a stand-in: random-init bundles are never real models.
"""
import string

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

WORDS = ("a an the of and in on with is are sound sounds noise silence speech music beep hum tone siren "
         "dog dogs barking cat meowing bird birds singing car engine horn glass breaking door knock crowd "
         "cheering applause rain thunder wind water running footsteps baby crying laughing alarm bell "
         "red green blue black white person man woman people talking").split()


def build(text_config) -> Tokenizer:
    specials = {"[CLS]": text_config.cls_token_id, "[SEP]": text_config.sep_token_id,
                "[PAD]": text_config.pad_token_id}
    taken = set(specials.values())
    regular = ["[UNK]"] + list(string.ascii_lowercase) + list(string.digits) + list(string.punctuation) + \
        ["##" + c for c in string.ascii_lowercase + string.digits] + list(WORDS)
    vocab, next_id = dict(specials), 0
    for token in regular:
        while next_id in taken:
            next_id += 1
        vocab[token] = next_id
        taken.add(next_id)
    if max(vocab.values()) >= text_config.vocab_size:
        raise ValueError(f"text config vocab_size {text_config.vocab_size} is too small for the stand-in tokenizer")
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", specials["[CLS]"]), ("[SEP]", specials["[SEP]"])])
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.add_special_tokens(list(specials))
    return tokenizer
