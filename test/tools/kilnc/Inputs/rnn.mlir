// A vanilla RNN, which the llvm backend does not lower yet.
func.func @main(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x4xf32>) -> tensor<1x2x4xf32> {
  %y, %h = kiln.rnn %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return %h : tensor<1x2x4xf32>
}
