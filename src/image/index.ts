/**
 * faxwire/image — the document layer: TIFF Class F read/write, documents (PDF, PNG, JPEG,
 * TIFF, netpbm) to fax pages, fax pages to TIFF, PDF, PNG and PBM; text and the page header line
 * drawn on fax pages.
 */

export { bitmapRow, bitmapStride, createBitmap, getPixel, setPixel, type Bitmap } from '../t4/bitmap.js';
export { bitmapToGrey, blackRatio, createGrey, greyToBitmap, luma, toGrey, withDpi, type BilevelOptions, type GreyImage } from './grey.js';
export { resizeGrey, rotateGrey90 } from './resample.js';
export {
  DEFAULT_MAX_PAGE_LENGTH_MM,
  DEFAULT_MAX_PAGES,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_TOTAL_PIXELS,
  isLimitError,
  PixelBudget,
  type DocumentBudget,
} from './budget.js';
export { drawText, fillRect, stampHeaderLine, textWidth } from './text.js';
export {
  checkPageLength,
  composePage,
  detectFaxResolution,
  faxGeometry,
  faxWidths,
  fitToFaxPage,
  faxPageToBitmap,
  isFaxResolution,
  isPaperSize,
  PAPERS,
  placeOnPage,
  RESOLUTIONS,
  type FaxGeometry,
  type FaxResolution,
  type FitOptions,
  type PaperSize,
  type Placement,
  type ResolutionInfo,
} from './fax-page.js';
export {
  decodeTiffPage,
  pageInfo,
  parseTiffStructure,
  readTiff,
  tiffPageInfos,
  type TiffChunk,
  type TiffDecodeQuality,
  type TiffEntry,
  type TiffError,
  type TiffErrorCode,
  type TiffIfd,
  type TiffPage,
  type TiffPageInfo,
  type TiffRaster,
  type TiffReadOptions,
  type TiffStructure,
} from './tiff-read.js';
export { TiffPageWriter, writeTiff, type FaxPageQuality, type FaxRowsPage, type TiffCompression, type TiffWriteOptions, type TiffWritePage } from './tiff-write.js';
export { COMPRESSION, TAG, TYPE } from './tiff-tags.js';
export { readPnm, writePbm, writePgm, type PnmError, type PnmErrorCode, type PnmImage } from './pnm.js';
export { isPng, readPng, writeGreyPng, writePng, type PngError, type PngErrorCode, type PngImage } from './png.js';
export { isJpeg, jfifDpi, jpegFrame, readJpeg, type JpegError, type JpegErrorCode, type JpegFrame } from './jpeg.js';
export { forEachPdfFaxPage, forEachPdfFaxPageRows, isPdf, pdfPageSizes, readPdfFaxPages, renderPdf, type PdfError, type PdfErrorCode, type PdfPageSize } from './pdf-read.js';
export { BitmapRowChanges, GreyRowChanges, STROKE_CONTRAST, STROKE_MAX_GREY, thresholdRowsInto, type GreyRows } from './bilevel.js';
export { writePdf, type PdfWriteOptions } from './pdf-write.js';
export {
  documentToFaxPages,
  forEachFaxPage,
  forEachFaxPageRows,
  readRasterPages,
  sniffFormat,
  sourceToFaxPage,
  writeDocument,
  type DocumentError,
  type DocumentErrorCode,
  type DocumentFormat,
  type FaxPage,
  type OutputFormat,
  type SourcePage,
  type ToFaxOptions,
  type WriteDocumentOptions,
} from './document.js';
